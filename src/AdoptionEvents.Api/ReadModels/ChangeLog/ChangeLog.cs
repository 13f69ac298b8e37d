using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Recording;

namespace AdoptionEvents.ReadModels.ChangeLog;

/// <summary>Days between a cause and its effect: an interval, because both dates may be imprecise.</summary>
public sealed record Lag(int MinDays, int MaxDays, int MidpointDays);

public sealed record ChangeNode(
    Guid Id,
    Guid InnovationId,
    string Type,
    string? Kind,
    PartialDate? OccurredAt,
    string? Summary,
    int Depth,
    Guid Root,
    Guid? PrimaryCause,
    Lag? LagFromCause);

/// <summary>An edge of the log: a causedBy link recorded with the effect, or a link asserted later.</summary>
public sealed record ChangeEdge(Guid Cause, Guid Effect, string Via);

public sealed record ChangeLogView(DateOnly? AsOf, IReadOnlyList<ChangeNode> Nodes, IReadOnlyList<ChangeEdge> Edges);

/// <summary>
/// The domino-effect change log as a directed acyclic graph. Nodes are domino events and every event
/// that led to them; edges are causedBy links plus asserted links not withdrawn (as of the date asked).
/// Depth is the longest path from a root cause; the chain is named by that root; lag is measured from
/// the primary cause (the one on that longest path). Imprecise dates count at their midpoint.
/// </summary>
public static class ChangeLogGraph
{
    public static ChangeLogView Build(IReadOnlyCollection<IndexedEvent> events, IReadOnlyCollection<CausalEdge> links, DateOnly? asOf, string? kind = null)
    {
        bool Happened(PartialDate? d) => asOf is null || d is null || d.Midpoint <= asOf;
        var nodes = events.Where(e => Happened(e.OccurredAt)).ToDictionary(e => e.Id);
        var edges = nodes.Values
            .SelectMany(e => e.CausedBy.Where(nodes.ContainsKey).Select(c => new ChangeEdge(c, e.Id, "caused_by")))
            .Concat(links
                .Where(l => Happened(l.AssertedAt) && (l.WithdrawnAt is null || (asOf is not null && l.WithdrawnAt.Midpoint > asOf)))
                .Where(l => nodes.ContainsKey(l.Cause) && nodes.ContainsKey(l.Effect))
                .Select(l => new ChangeEdge(l.Cause, l.Effect, "asserted_link")))
            .Distinct()
            .ToList();

        var causesOf = edges.GroupBy(e => e.Effect).ToDictionary(g => g.Key, g => g.Select(e => e.Cause).ToList());
        var placed = new Dictionary<Guid, (int Depth, Guid Root, Guid? Cause)>();
        (int Depth, Guid Root, Guid? Cause) Place(Guid id)
        {
            if (placed.TryGetValue(id, out var known))
            {
                return known;
            }

            var best = (Depth: 0, Root: id, Cause: (Guid?)null);
            foreach (var cause in causesOf.GetValueOrDefault(id, []).Order())
            {
                var (depth, root, _) = Place(cause);
                if (depth + 1 > best.Depth)
                {
                    best = (depth + 1, root, cause);
                }
            }

            return placed[id] = best;
        }

        var result = nodes.Values
            .Select(e =>
            {
                var (depth, root, cause) = Place(e.Id);
                return new ChangeNode(e.Id, e.InnovationId, e.Type, e.Kind, e.OccurredAt, e.Summary, depth, root, cause,
                    cause is { } c ? LagBetween(nodes[c].OccurredAt, e.OccurredAt) : null);
            })
            .Where(n => kind is null || n.Kind == kind)
            .OrderBy(n => n.OccurredAt?.Midpoint).ThenBy(n => n.Id)
            .ToList();
        return new ChangeLogView(asOf, result, edges);
    }

    public static Lag? LagBetween(PartialDate? cause, PartialDate? effect) =>
        cause is null || effect is null ? null
        : new Lag(effect.Earliest.DayNumber - cause.Latest.DayNumber, effect.Latest.DayNumber - cause.Earliest.DayNumber, effect.Midpoint.DayNumber - cause.Midpoint.DayNumber);
}
