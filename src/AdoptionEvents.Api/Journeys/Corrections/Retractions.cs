using AdoptionEvents.Journeys.Recording;
using Marten;

namespace AdoptionEvents.Journeys.Corrections;

/// <summary>
/// What the journeys met so far have retracted, read from their ledgers as a walk of causes and links reaches each journey (of an
/// event, or of a link: a fact is retracted on its own journey). The change log leaves a retracted fact or link out, and so does the
/// check that a new link closes no cycle.
/// </summary>
public sealed class Retractions(IQuerySession session)
{
    private readonly HashSet<Guid> _journeys = [];
    private readonly HashSet<Guid> _retracted = [];

    public bool Contains(Guid id) => _retracted.Contains(id);

    public async Task ReadAsync(IEnumerable<Guid> journeys, CancellationToken ct)
    {
        var unread = journeys.Where(_journeys.Add).ToArray();
        if (unread.Length > 0)
        {
            foreach (var ledger in await session.LoadManyAsync<JourneyLedger>(ct, unread))
            {
                _retracted.UnionWith(ledger.Retracted);
            }
        }
    }

    /// <summary>The events their journeys have not retracted.</summary>
    public async Task<List<IndexedEvent>> StandingAsync(IEnumerable<IndexedEvent> events, CancellationToken ct)
    {
        var list = events as IReadOnlyList<IndexedEvent> ?? [.. events];
        await ReadAsync(list.Select(e => e.InnovationId), ct);
        return [.. list.Where(e => !_retracted.Contains(e.Id))];
    }

    /// <summary>The links their journeys have not retracted; one whose withdrawal was retracted is no longer withdrawn.</summary>
    public async Task<List<CausalEdge>> StandingAsync(IReadOnlyList<CausalEdge> edges, CancellationToken ct)
    {
        await ReadAsync(edges.Select(e => e.InnovationId), ct);
        return
        [
            .. edges.Where(e => !_retracted.Contains(e.Id))
                .Select(e => e.WithdrawnBy is { } by && _retracted.Contains(by) ? e with { WithdrawnAt = null, WithdrawnBy = null } : e),
        ];
    }
}
