using AdoptionEvents.Hosting;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Recording;
using Marten;
using Wolverine.Http;

namespace AdoptionEvents.ReadModels.ChangeLog;

public static class ChangeLogEndpoints
{
    /// <summary>The change log of one innovation: its domino events and everything that led to them.</summary>
    [WolverineGet("/api/innovations/{innovationId}/change-log")]
    public static async Task<ChangeLogView> ForInnovation(Guid innovationId, IQuerySession session, DateOnly? asOf, string? kind, CancellationToken ct)
    {
        var seeds = await session.Query<IndexedEvent>().Where(e => e.InnovationId == innovationId && e.Kind != null).ToListAsync(ct);
        return await BuildAsync(session, seeds, Direction.Causes, asOf, kind, ct);
    }

    /// <summary>The change log across every journey.</summary>
    [WolverineGet("/api/change-log")]
    public static async Task<ChangeLogView> All(IQuerySession session, DateOnly? asOf, string? kind, CancellationToken ct)
    {
        var seeds = await session.Query<IndexedEvent>().Where(e => e.Kind != null).ToListAsync(ct);
        return await BuildAsync(session, seeds, Direction.Causes, asOf, kind, ct);
    }

    /// <summary>What did this event set off? It and everything that follows from it.</summary>
    [WolverineGet("/api/change-log/{eventId}/descendants")]
    public static async Task<IResult> Descendants(Guid eventId, IQuerySession session, DateOnly? asOf, CancellationToken ct) =>
        await StartAsync(session, eventId, ct) is { } start
            ? Results.Ok(await BuildAsync(session, [start], Direction.Effects, asOf, null, ct))
            : UnknownEvent(eventId);

    /// <summary>What led to this event? It and everything it follows from.</summary>
    [WolverineGet("/api/change-log/{eventId}/ancestors")]
    public static async Task<IResult> Ancestors(Guid eventId, IQuerySession session, DateOnly? asOf, CancellationToken ct) =>
        await StartAsync(session, eventId, ct) is { } start
            ? Results.Ok(await BuildAsync(session, [start], Direction.Causes, asOf, null, ct))
            : UnknownEvent(eventId);

    private enum Direction
    {
        Causes,
        Effects,
    }

    /// <summary>Links not retracted, and not withdrawn (by the date asked, when one is) by a withdrawal that stands.</summary>
    private static async Task<List<CausalEdge>> StandingAsync(IReadOnlyList<CausalEdge> edges, DateOnly? asOf, Retractions retractions, CancellationToken ct) =>
        [.. (await retractions.StandingAsync(edges, ct)).Where(e => e.WithdrawnAt is null || (asOf is not null && e.WithdrawnAt.Midpoint > asOf))];

    private static async Task<IndexedEvent?> StartAsync(IQuerySession session, Guid eventId, CancellationToken ct) =>
        (await KnownEvents.IndexedAsync(session, [eventId], ct)).SingleOrDefault();

    private static IResult UnknownEvent(Guid id) => Problems.For(new Refusal(404, "eventId", "known-event", $"there is no event {id}"));

    private static async Task<ChangeLogView> BuildAsync(IQuerySession session, IReadOnlyList<IndexedEvent> seeds, Direction direction, DateOnly? asOf, string? kind, CancellationToken ct)
    {
        var retractions = new Retractions(session);
        var found = (await retractions.StandingAsync(seeds, ct)).ToDictionary(e => e.Id);
        var links = new Dictionary<Guid, CausalEdge>();
        var frontier = found.Keys.ToList();
        while (frontier.Count > 0)
        {
            var current = frontier;
            List<Guid> next;
            if (direction == Direction.Causes)
            {
                var edges = await StandingAsync(await session.Query<CausalEdge>().Where(x => current.Contains(x.Effect)).ToListAsync(ct), asOf, retractions, ct);
                foreach (var edge in edges)
                {
                    links[edge.Id] = edge;
                }

                next = [.. current.SelectMany(id => found[id].CausedBy).Concat(edges.Select(e => e.Cause)).Distinct().Where(id => !found.ContainsKey(id))];
                foreach (var e in await retractions.StandingAsync(await KnownEvents.IndexedAsync(session, next, ct), ct))
                {
                    found[e.Id] = e;
                }
            }
            else
            {
                var edges = await StandingAsync(await session.Query<CausalEdge>().Where(x => current.Contains(x.Cause)).ToListAsync(ct), asOf, retractions, ct);
                foreach (var edge in edges)
                {
                    links[edge.Id] = edge;
                }

                var effects = new List<IndexedEvent>();
                foreach (var id in current)
                {
                    // An effect through causedBy has causes, so it always has its document.
                    effects.AddRange(await session.Query<IndexedEvent>().Where(x => x.CausedBy.Contains(id)).ToListAsync(ct));
                }

                effects.AddRange(await KnownEvents.IndexedAsync(session, [.. edges.Select(e => e.Effect).Distinct()], ct));
                next = [];
                foreach (var e in (await retractions.StandingAsync(effects, ct)).Where(e => found.TryAdd(e.Id, e)))
                {
                    next.Add(e.Id);
                }
            }

            frontier = next.Where(found.ContainsKey).ToList();
        }

        return ChangeLogGraph.Build(found.Values, links.Values, asOf, kind);
    }
}
