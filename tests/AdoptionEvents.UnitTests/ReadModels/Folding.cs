using AdoptionEvents.Journeys;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.ReadModels.SiteRegister;
using JasperFx.Events;

namespace AdoptionEvents.UnitTests.ReadModels;

/// <summary>Folds facts through the real projections the way the daemon does, without a database.</summary>
internal static class Folding
{
    public static readonly Guid InnovationId = Guid.Parse("0195a3f0-0000-7000-8000-0000000000f1");

    public static IEvent Wrap(JourneyEvent fact, long version, Guid? id = null)
    {
        fact = fact with { InnovationId = InnovationId };
        var e = (IEvent)Activator.CreateInstance(typeof(Event<>).MakeGenericType(fact.GetType()), fact)!;
        e.Id = id ?? Guid.CreateVersion7();
        e.Version = version;
        e.Sequence = version;
        e.StreamId = InnovationId;
        e.Timestamp = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(version);
        e.EventTypeName = EventCatalogue.Of(fact).Name;
        return e;
    }

    public static InnovationSummary Summary(StageThresholds thresholds, params JourneyEvent[] facts) => Summary(thresholds, facts.Select(f => (Guid.CreateVersion7(), f)).ToArray());

    public static InnovationSummary Summary(params JourneyEvent[] facts) => Summary(new StageThresholds(), facts);

    public static InnovationSummary Summary(StageThresholds thresholds, params (Guid Id, JourneyEvent Fact)[] facts)
    {
        var version = 0;
        return new InnovationSummaryProjection(thresholds).Fold(InnovationId, [.. facts.Select(f => Wrap(f.Fact, ++version, f.Id))])!;
    }

    public static SiteAdoption? Site(Guid siteId, params JourneyEvent[] facts)
    {
        var projection = new SiteAdoptionProjection();
        SiteAdoption? s = null;
        var version = 0;
        foreach (var fact in facts)
        {
            s = projection.Evolve(s, SiteAdoption.IdFor(InnovationId, siteId), Wrap(fact, ++version));
        }

        return s;
    }
}
