using AdoptionEvents.Importing;
using AdoptionEvents.Importing.Synthetic;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Measures;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.SiteAdoption;

namespace AdoptionEvents.UnitTests.Importing;

/// <summary>
/// The network headline figures computed by folding journeys, with the definitions the read side uses:
/// innovations spread = journeys with a site other than the origin whose last state is live or
/// sustained; locations live = distinct (innovation, site) pairs whose last state is live or sustained;
/// the rest = sums of each innovation's latest cumulative metric_observed of that code.
/// </summary>
public static class NetworkFigures
{
    public static HeadlineFigures Of(IEnumerable<ImportedJourney> journeys)
    {
        int spread = 0, locations = 0;
        long patients = 0, jobs = 0, investment = 0;
        foreach (var journey in journeys)
        {
            var facts = journey.Events.Select(e => e.Fact).ToList();
            var origin = facts.OfType<InnovationRegistered>().Select(r => r.OriginOrganisationId).LastOrDefault(o => o is not null);
            var sites = new Dictionary<Guid, SiteState>();
            foreach (var site in facts.OfType<SiteEvent>())
            {
                var (next, refusal) = SiteTransitions.Next(sites.TryGetValue(site.SiteId, out var s) ? s : null, site);
                refusal.ShouldBeNull();
                sites[site.SiteId] = next!.Value;
            }

            var live = sites.Where(s => s.Value is SiteState.Live or SiteState.Sustained).Select(s => s.Key).ToList();
            locations += live.Count;
            spread += live.Any(s => s != origin) ? 1 : 0;
            patients += Latest(facts, "patients_benefiting");
            jobs += Latest(facts, "jobs_created");
            investment += Latest(facts, "investment_leveraged");
        }

        return new HeadlineFigures(spread, locations, patients, jobs, investment);
    }

    private static long Latest(List<JourneyEvent> facts, string metric) =>
        (long)(facts.OfType<MetricObserved>().Where(m => m.Metric == metric && m.Cumulative)
            .OrderBy(m => m.OccurredAt.Midpoint).Select(m => (decimal?)m.Value).LastOrDefault() ?? 0);
}
