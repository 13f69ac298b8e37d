using AdoptionEvents.Journeys.Domino;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace AdoptionEvents.Journeys.Recording;

/// <summary>Every journey event by id: what causedBy and other references are checked against.</summary>
public sealed record IndexedEvent
{
    public Guid Id { get; init; }

    public Guid InnovationId { get; init; }

    public required string Type { get; init; }

    /// <summary>The domino kind for domino events (kind of a domino_change_observed, else the event type).</summary>
    public string? Kind { get; init; }

    public PartialDate? OccurredAt { get; init; }

    public string? Summary { get; init; }

    public IReadOnlyList<Guid> CausedBy { get; init; } = [];

    public static IndexedEvent Of(Guid id, Guid innovationId, JourneyEvent fact) => new()
    {
        Id = id, InnovationId = innovationId, Type = EventCatalogue.Of(fact).Name, CausedBy = fact.CausedBy, OccurredAt = fact.OccurredAt,
        Summary = fact.Summary, Kind = fact switch
        {
            DominoChangeObserved d => d.Kind,
            NewNeedRevealed => "new_need_revealed",
            RoleChanged r => r.Who == RoleHolder.Patient ? "patient_role_change" : "staff_role_change",
            PathwayChanged => "pathway_redesign",
            DerivedInnovationLaunched => "derivative_innovation",
            _ => null,
        },
    };
}

/// <summary>A causal link asserted after the fact (deleted when withdrawn).</summary>
public sealed record CausalEdge
{
    /// <summary>The CausalLinkAsserted event's id.</summary>
    public Guid Id { get; init; }

    public Guid Cause { get; init; }

    public Guid Effect { get; init; }

    public PartialDate? AssertedAt { get; init; }

    /// <summary>Set when the link is withdrawn: the edge stays, so the log as of an earlier date still shows it.</summary>
    public PartialDate? WithdrawnAt { get; init; }
}

/// <summary>Inline, so a reference to an event recorded a moment ago resolves at once.</summary>
public sealed class EventIndexProjection : IProjection
{
    public async Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        var edges = new Dictionary<Guid, CausalEdge>();
        foreach (var e in events)
        {
            if (e.Data is not JourneyEvent fact)
            {
                continue;
            }

            operations.Store(IndexedEvent.Of(e.Id, e.StreamId, fact));
            switch (fact)
            {
                case CausalLinkAsserted link:
                    edges[e.Id] = new CausalEdge { Id = e.Id, Cause = link.CauseEventId, Effect = link.EffectEventId, AssertedAt = link.OccurredAt };
                    operations.Store(edges[e.Id]);
                    break;
                case CausalLinkWithdrawn withdrawn:
                    var edge = edges.GetValueOrDefault(withdrawn.LinkEventId) ?? await operations.LoadAsync<CausalEdge>(withdrawn.LinkEventId, cancellation);
                    if (edge is not null)
                    {
                        edges[edge.Id] = edge with { WithdrawnAt = withdrawn.OccurredAt };
                        operations.Store(edges[edge.Id]);
                    }

                    break;
            }
        }
    }

    /// <summary>The causal edges a journey's facts assert, withdrawn ones marked: what this projection stores for them.</summary>
    public static IEnumerable<CausalEdge> EdgesOf(IEnumerable<(Guid Id, JourneyEvent Fact)> facts)
    {
        var edges = new Dictionary<Guid, CausalEdge>();
        foreach (var (id, fact) in facts)
        {
            if (fact is CausalLinkAsserted link)
            {
                edges[id] = new CausalEdge { Id = id, Cause = link.CauseEventId, Effect = link.EffectEventId, AssertedAt = link.OccurredAt };
            }
            else if (fact is CausalLinkWithdrawn w && edges.TryGetValue(w.LinkEventId, out var edge))
            {
                edges[w.LinkEventId] = edge with { WithdrawnAt = w.OccurredAt };
            }
        }

        return edges.Values;
    }

    /// <summary>Every event the given one follows from, through causedBy and asserted links, transitively.</summary>
    public static async Task<HashSet<Guid>> AncestorsAsync(IQuerySession session, Guid start, CancellationToken ct)
    {
        var seen = new HashSet<Guid>();
        var frontier = new List<Guid> { start };
        while (frontier.Count > 0)
        {
            var nodes = await session.LoadManyAsync<IndexedEvent>(ct, frontier);
            var edges = await session.Query<CausalEdge>().Where(x => frontier.Contains(x.Effect) && x.WithdrawnAt == null).ToListAsync(ct);
            frontier = [.. nodes.SelectMany(n => n.CausedBy).Concat(edges.Select(x => x.Cause)).Where(seen.Add)];
        }

        return seen;
    }
}
