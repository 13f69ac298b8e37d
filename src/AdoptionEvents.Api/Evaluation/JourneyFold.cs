using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Domino;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.ReadModels.SiteRegister;
using JasperFx.Events;

namespace AdoptionEvents.Evaluation;

/// <summary>Which events count on the two time axes: what had happened by D, what the record showed on K.</summary>
public sealed record TimeAxes(DateOnly? OccurredBy, DateTimeOffset? RecordedBy)
{
    /// <summary>
    /// Recorded-by applies to every event. Occurred-by applies to facts; a correction or retraction
    /// counts whenever it was recorded by K, because it says how the past really was.
    /// </summary>
    public bool Includes(IEvent e) =>
        (RecordedBy is null || e.Timestamp <= RecordedBy)
        && (OccurredBy is null || e.Data is EventCorrected or EventRetracted || (e.Data is JourneyEvent f && f.OccurredAt.Midpoint <= OccurredBy));

    /// <summary>The date to judge time-dependent overlays (Stalled) against.</summary>
    public DateOnly Today(DateOnly now) =>
        new[] { OccurredBy, RecordedBy is { } k ? DateOnly.FromDateTime(k.UtcDateTime) : null, now }.OfType<DateOnly>().Min();
}

/// <summary>A journey folded in memory through the same projections the daemon runs, on any subset of its events.</summary>
public sealed class JourneyFold(StageThresholds thresholds)
{
    private readonly InnovationSummaryProjection _summary = new(thresholds);
    private readonly SiteAdoptionProjection _sites = new();

    public InnovationSummary? Summary { get; private set; }

    public Dictionary<Guid, SiteAdoption> Sites { get; } = [];

    public List<IndexedEvent> Index { get; } = [];

    public Dictionary<Guid, CausalEdge> Links { get; } = [];

    public int Applied { get; private set; }

    public void Apply(IEvent e)
    {
        if (e.Data is not JourneyEvent fact)
        {
            return;
        }

        Summary = _summary.Evolve(Summary, e.StreamId, e);
        if (fact is SiteEvent site)
        {
            var id = SiteAdoption.IdFor(e.StreamId, site.SiteId);
            Sites[id] = _sites.Evolve(Sites.GetValueOrDefault(id), id, e)!;
        }

        Index.Add(IndexedEvent.Of(e.Id, e.StreamId, fact));
        switch (fact)
        {
            case CausalLinkAsserted link:
                Links[e.Id] = new CausalEdge { Id = e.Id, Cause = link.CauseEventId, Effect = link.EffectEventId, AssertedAt = link.OccurredAt };
                break;
            case CausalLinkWithdrawn w when Links.TryGetValue(w.LinkEventId, out var edge):
                Links[w.LinkEventId] = edge with { WithdrawnAt = w.OccurredAt };
                break;
        }

        Applied++;
    }

    /// <summary>The domino events of the journey and every event of it they follow from.</summary>
    public List<IndexedEvent> DominoNodesAndCauses()
    {
        var byId = Index.ToDictionary(i => i.Id);
        var linkedCauses = Links.Values.Where(l => l.WithdrawnAt is null).ToLookup(l => l.Effect, l => l.Cause);
        var found = new Dictionary<Guid, IndexedEvent>();
        var frontier = new Stack<IndexedEvent>(Index.Where(i => i.Kind is not null));
        while (frontier.TryPop(out var node))
        {
            if (!found.TryAdd(node.Id, node))
            {
                continue;
            }

            foreach (var cause in node.CausedBy.Concat(linkedCauses[node.Id]))
            {
                if (byId.TryGetValue(cause, out var c))
                {
                    frontier.Push(c);
                }
            }
        }

        return [.. found.Values];
    }

    public static JourneyFold Of(IEnumerable<IEvent> events, StageThresholds thresholds, TimeAxes? axes = null)
    {
        var fold = new JourneyFold(thresholds);
        foreach (var e in events.Where(e => axes is null || axes.Includes(e)))
        {
            fold.Apply(e);
        }

        return fold;
    }
}
