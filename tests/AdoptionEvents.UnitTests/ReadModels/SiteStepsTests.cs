using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.ReadModels.InnovationSummaries;

namespace AdoptionEvents.UnitTests.ReadModels;

public class SiteStepsTests
{
    [Fact]
    public void The_remembered_step_is_the_transition_rules_own_for_every_site_event_outcome_and_state()
    {
        var siteEvents = EventCatalogue.Entries.Where(e => e.Type.IsAssignableTo(typeof(SiteEvent))).ToList();
        siteEvents.Count.ShouldBeGreaterThan(10);
        SiteState?[] states = [null, .. Enum.GetValues<SiteState>().Cast<SiteState?>()];
        var compared = 0;
        foreach (var entry in siteEvents)
        {
            var blank = (SiteEvent)Activator.CreateInstance(entry.Type)!;
            SiteEvent[] variants = blank is AdoptionDecided decided ? [.. Enum.GetValues<AdoptionOutcome>().Select(o => decided with { Outcome = o })] : [blank];
            foreach (var e in variants)
            {
                foreach (var state in states)
                {
                    // Twice: the first answer is worked out, the second remembered.
                    var expected = SiteTransitions.Next(state, e) is ({ } next, null) ? next : (SiteState?)null;
                    SiteSteps.After(state, e).ShouldBe(expected, $"{entry.Name} from {state}");
                    SiteSteps.After(state, e).ShouldBe(expected, $"{entry.Name} from {state}, remembered");
                    compared++;
                }
            }
        }

        compared.ShouldBeGreaterThan(100);
    }
}
