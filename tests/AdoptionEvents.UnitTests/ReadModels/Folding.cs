using System.Text.Json;
using AdoptionEvents.Evaluation;
using AdoptionEvents.Journeys;
using AdoptionEvents.ReadModels.ChangeLog;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.ReadModels.SiteRegister;
using AdoptionEvents.Tests;
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
            s = projection.Next(s, SiteAdoption.IdFor(InnovationId, siteId), Wrap(fact, ++version));
        }

        return s;
    }

    /// <summary>The sample journey (every event type of the catalogue), its facts with ids.</summary>
    public static List<(string Label, Guid Id, JourneyEvent Fact)> Sample(Guid site, Guid otherSite)
    {
        var ids = new Dictionary<string, Guid>();
        var facts = new List<(string, Guid, JourneyEvent)>();
        foreach (var (label, build) in SampleJourney.Steps(site, otherSite))
        {
            ids[label] = Guid.CreateVersion7();
            facts.Add((label, ids[label], build(l => ids[l])));
        }

        return facts;
    }

    public static List<IEvent> Events(IEnumerable<(Guid Id, JourneyEvent Fact)> facts) => [.. facts.Select((f, i) => Wrap(f.Fact, i + 1, f.Id))];

    /// <summary>Everything a summary says but the count of events and the last one, which do tell a retraction or correction.</summary>
    public static string Said(InnovationSummary? s)
    {
        s.ShouldNotBeNull();
        var json = JsonSerializer.Serialize(s);
        var facts = JsonSerializer.Serialize(new
        {
            Summary = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!.Where(p => p.Key is not (nameof(InnovationSummary.EventCount) or nameof(InnovationSummary.LastEvent)))
                .ToDictionary(p => p.Key, p => p.Value),
            Sites = s.Sites.OrderBy(x => x.Key).Select(x => $"{x.Key}:{x.Value}"),
            s.Barriers,
            Metrics = s.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal),
        });
        return facts;
    }

    /// <summary>The change log of a fold: its graph, its domino events and its links.</summary>
    public static string Log(JourneyFold fold) => JsonSerializer.Serialize(new
    {
        Graph = ChangeLogGraph.Build(fold.DominoNodesAndCauses(), fold.Links.Values, null),
        Domino = fold.DominoNodes().Select(n => n.Id),
        Links = fold.Links.Keys.Order(),
    });
}
