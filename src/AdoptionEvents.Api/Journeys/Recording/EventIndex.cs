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

    public IReadOnlyList<Guid> CausedBy { get; init; } = [];
}

/// <summary>A causal link asserted after the fact (deleted when withdrawn).</summary>
public sealed record CausalEdge
{
    /// <summary>The CausalLinkAsserted event's id.</summary>
    public Guid Id { get; init; }

    public Guid Cause { get; init; }

    public Guid Effect { get; init; }
}

/// <summary>Inline, so a reference to an event recorded a moment ago resolves at once.</summary>
public sealed class EventIndexProjection : IProjection
{
    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        foreach (var e in events)
        {
            if (e.Data is not JourneyEvent fact)
            {
                continue;
            }

            operations.Store(new IndexedEvent { Id = e.Id, InnovationId = e.StreamId, Type = e.EventTypeName, CausedBy = fact.CausedBy });
            switch (fact)
            {
                case CausalLinkAsserted link:
                    operations.Store(new CausalEdge { Id = e.Id, Cause = link.CauseEventId, Effect = link.EffectEventId });
                    break;
                case CausalLinkWithdrawn withdrawn:
                    operations.Delete<CausalEdge>(withdrawn.LinkEventId);
                    break;
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Every event the given one follows from, through causedBy and asserted links, transitively.</summary>
    public static async Task<HashSet<Guid>> AncestorsAsync(IQuerySession session, Guid start, CancellationToken ct)
    {
        var seen = new HashSet<Guid>();
        var frontier = new List<Guid> { start };
        while (frontier.Count > 0)
        {
            var nodes = await session.LoadManyAsync<IndexedEvent>(ct, frontier);
            var edges = await session.Query<CausalEdge>().Where(x => frontier.Contains(x.Effect)).ToListAsync(ct);
            frontier = [.. nodes.SelectMany(n => n.CausedBy).Concat(edges.Select(x => x.Cause)).Where(seen.Add)];
        }

        return seen;
    }
}
