using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Domino;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace AdoptionEvents.Journeys.Recording;

/// <summary>
/// A journey event as the change log finds it by content: a domino event (by its kind) or an event with causes (by
/// the events in its causedBy). Only those are kept (<see cref="IsKept"/>); any other is only ever looked up by id,
/// which <see cref="KnownEvents"/> answers from the stored event.
/// </summary>
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

    /// <summary>
    /// True for a fact a correction names: its entry is kept, as corrected, whatever the fact, so a lookup by id finds the fact as it
    /// stands without reading its corrections (<see cref="KnownEvents.IndexedAsync"/>).
    /// </summary>
    public bool? Corrected { get; init; }

    public static IndexedEvent Of(Guid id, Guid innovationId, JourneyEvent fact) => new()
    {
        Id = id, InnovationId = innovationId, Type = EventCatalogue.Of(fact).Name, CausedBy = fact.CausedBy, OccurredAt = fact.OccurredAt,
        Summary = fact.Summary, Kind = KindOf(fact),
    };

    /// <summary>
    /// Whether the index keeps a document for the fact: the inline projection, the bulk import and the read-model
    /// builder all store exactly these, so a rebuild reproduces the same set.
    /// </summary>
    public static bool IsKept(JourneyEvent fact) => fact.CausedBy.Count > 0 || KindOf(fact) is not null;

    private static string? KindOf(JourneyEvent fact) => fact switch
    {
        DominoChangeObserved d => d.Kind,
        NewNeedRevealed => "new_need_revealed",
        RoleChanged r => r.Who == RoleHolder.Patient ? "patient_role_change" : "staff_role_change",
        PathwayChanged => "pathway_redesign",
        DerivedInnovationLaunched => "derivative_innovation",
        _ => null,
    };
}

/// <summary>A causal link asserted after the fact (deleted when withdrawn).</summary>
public sealed record CausalEdge
{
    /// <summary>The CausalLinkAsserted event's id.</summary>
    public Guid Id { get; init; }

    /// <summary>The journey the link was recorded on, whose ledger says whether it, or its withdrawal, was retracted.</summary>
    public Guid InnovationId { get; init; }

    public Guid Cause { get; init; }

    public Guid Effect { get; init; }

    public PartialDate? AssertedAt { get; init; }

    /// <summary>Set when the link is withdrawn: the edge stays, so the log as of an earlier date still shows it.</summary>
    public PartialDate? WithdrawnAt { get; init; }

    /// <summary>The withdrawal's event: a retracted withdrawal leaves the link standing (the change log reads it so).</summary>
    public Guid? WithdrawnBy { get; init; }
}

/// <summary>
/// Inline, so a reference to an event recorded a moment ago resolves at once. Each fact is indexed as its corrections leave it: a
/// correction stores the entry (or the edge) of the fact it names again, from the fact as it stands.
/// </summary>
public sealed class EventIndexProjection : IProjection
{
    public async Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        var edges = new Dictionary<Guid, CausalEdge>();

        // The facts of this batch as they stand: a correction may name one recorded in the same commit, not yet readable.
        var facts = new Dictionary<Guid, (Guid Journey, JourneyEvent Fact)>();
        foreach (var e in events)
        {
            if (e.Data is not JourneyEvent fact)
            {
                continue;
            }

            facts[e.Id] = (e.StreamId, fact);
            if (IndexedEvent.IsKept(fact))
            {
                operations.Store(IndexedEvent.Of(e.Id, e.StreamId, fact));
            }

            if (fact is EventCorrected correction)
            {
                var id = correction.CorrectedEventId;
                var before = facts.TryGetValue(id, out var known) ? known.Fact : await KnownEvents.FactAsync(operations, id, cancellation);
                if (before is not null)
                {
                    var corrected = CorrectedFact.Amended(before, [correction.Changes]);
                    facts[id] = (e.StreamId, corrected);
                    await CorrectAsync(operations, edges, id, e.StreamId, corrected, cancellation);
                }

                continue;
            }

            switch (fact)
            {
                case CausalLinkAsserted link:
                    edges[e.Id] = new CausalEdge { Id = e.Id, InnovationId = e.StreamId, Cause = link.CauseEventId, Effect = link.EffectEventId, AssertedAt = link.OccurredAt };
                    operations.Store(edges[e.Id]);
                    break;
                case CausalLinkWithdrawn withdrawn:
                    var edge = edges.GetValueOrDefault(withdrawn.LinkEventId) ?? await operations.LoadAsync<CausalEdge>(withdrawn.LinkEventId, cancellation);
                    if (edge is not null)
                    {
                        edges[edge.Id] = edge with { WithdrawnAt = withdrawn.OccurredAt, WithdrawnBy = e.Id };
                        operations.Store(edges[edge.Id]);
                    }

                    break;
            }
        }
    }

    // A corrected fact indexed again: its entry as it stands (kept whatever the fact, see IndexedEvent.Corrected), and the date of its
    // link or of its link's withdrawal.
    private static async Task CorrectAsync(IDocumentOperations operations, Dictionary<Guid, CausalEdge> edges, Guid id, Guid journey, JourneyEvent corrected, CancellationToken ct)
    {
        operations.Store(IndexedEvent.Of(id, journey, corrected) with { Corrected = true });

        var linkId = corrected switch { CausalLinkAsserted => id, CausalLinkWithdrawn w => w.LinkEventId, _ => Guid.Empty };
        if (linkId == Guid.Empty || (edges.GetValueOrDefault(linkId) ?? await operations.LoadAsync<CausalEdge>(linkId, ct)) is not { } edge)
        {
            return;
        }

        edges[linkId] = corrected is CausalLinkAsserted
            ? edge with { AssertedAt = corrected.OccurredAt }
            : edge.WithdrawnBy == id ? edge with { WithdrawnAt = corrected.OccurredAt } : edge;
        operations.Store(edges[linkId]);
    }

    /// <summary>
    /// What this projection stores for a journey's facts, each as its corrections leave it: the entries of those it keeps, and the causal
    /// edges they assert, withdrawn ones marked. The read-model builder and the bulk import store exactly these.
    /// </summary>
    public static (List<IndexedEvent> Entries, List<CausalEdge> Edges) DocumentsOf(Guid innovationId, IReadOnlyList<(Guid Id, JourneyEvent Fact)> facts)
    {
        var amendments = Amendments.Of(facts);
        var corrected = facts.Select(f => (f.Id, Fact: amendments.Corrected(f.Id, f.Fact))).ToList();
        return ([.. corrected.Where(f => IndexedEvent.IsKept(f.Fact) || amendments.Corrects(f.Id))
            .Select(f => amendments.Corrects(f.Id) ? IndexedEvent.Of(f.Id, innovationId, f.Fact) with { Corrected = true } : IndexedEvent.Of(f.Id, innovationId, f.Fact))], EdgesOf(innovationId, corrected));
    }

    /// <summary>The causal edges a journey's facts assert, withdrawn ones marked.</summary>
    private static List<CausalEdge> EdgesOf(Guid innovationId, IEnumerable<(Guid Id, JourneyEvent Fact)> facts)
    {
        var edges = new Dictionary<Guid, CausalEdge>();
        foreach (var (id, fact) in facts)
        {
            if (fact is CausalLinkAsserted link)
            {
                edges[id] = new CausalEdge { Id = id, InnovationId = innovationId, Cause = link.CauseEventId, Effect = link.EffectEventId, AssertedAt = link.OccurredAt };
            }
            else if (fact is CausalLinkWithdrawn w && edges.TryGetValue(w.LinkEventId, out var edge))
            {
                edges[w.LinkEventId] = edge with { WithdrawnAt = w.OccurredAt, WithdrawnBy = id };
            }
        }

        return [.. edges.Values];
    }

    /// <summary>
    /// Every event the start follows from, through causes and links that stand: none their journeys retracted (each read from its own
    /// journey's ledger, <see cref="Retractions"/>), no link withdrawn by a withdrawal that stands. A new link closes a cycle when its
    /// effect is among its cause's ancestors.
    /// </summary>
    public static async Task<HashSet<Guid>> AncestorsAsync(IQuerySession session, Guid start, CancellationToken ct)
    {
        var retractions = new Retractions(session);
        var seen = new HashSet<Guid>();
        var frontier = new List<Guid> { start };
        while (frontier.Count > 0)
        {
            // An event with causes always has its document: one without has none to add, so the documents alone answer.
            var nodes = await retractions.StandingAsync(await session.LoadManyAsync<IndexedEvent>(ct, frontier), ct);
            var edges = await retractions.StandingAsync(await session.Query<CausalEdge>().Where(x => frontier.Contains(x.Effect)).ToListAsync(ct), ct);
            frontier = [.. nodes.SelectMany(n => n.CausedBy).Concat(edges.Where(x => x.WithdrawnAt is null).Select(x => x.Cause))
                .Where(id => !retractions.Contains(id) && seen.Add(id))];
        }

        return seen;
    }
}
