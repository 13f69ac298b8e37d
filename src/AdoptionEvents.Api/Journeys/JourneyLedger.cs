using System.Collections.Immutable;
using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Domino;
using AdoptionEvents.Journeys.Levers;
using AdoptionEvents.Journeys.Resources;
using JasperFx.Events;
using Marten.Events.Projections;

namespace AdoptionEvents.Journeys;

/// <summary>
/// The facts of one journey that later facts refer to by id while they stand: open barriers and targets, active
/// funding, programmes and causal links, every retracted event and the corrections of every corrected one. A journey of thousands of sites gathers
/// thousands of them, and only the few commands that close or retract one need them; so they are a document of
/// their own (one per journey, id = the innovation id) rather than part of <see cref="Journey"/>, which every
/// command on the journey reads and rewrites.
/// </summary>
public sealed record JourneyLedger
{
    public static readonly JourneyLedger Empty = new();

    public Guid Id { get; init; }

    public ImmutableHashSet<Guid> OpenBarriers { get; init; } = [];

    public ImmutableHashSet<Guid> OpenTargets { get; init; } = [];

    public ImmutableHashSet<Guid> ActiveFunding { get; init; } = [];

    public ImmutableHashSet<Guid> ActiveProgrammes { get; init; } = [];

    public ImmutableHashSet<Guid> ActiveLinks { get; init; } = [];

    public ImmutableHashSet<Guid> Retracted { get; init; } = [];

    /// <summary>
    /// The corrections of each corrected fact, in the order recorded (one retracted before corrections stood stays listed; <see cref="Retracted"/>
    /// says so): what reading a fact as it stands looks up by id (<see cref="Recording.KnownEvents.FactAsync"/>), instead of searching the
    /// journey's events.
    /// </summary>
    public ImmutableDictionary<Guid, ImmutableList<Guid>> Corrections { get; init; } = ImmutableDictionary<Guid, ImmutableList<Guid>>.Empty;

    /// <summary>The facts that open, close or retract something the ledger holds.</summary>
    public static readonly IReadOnlySet<Type> ChangedBy = new HashSet<Type>
    {
        typeof(BarrierEncountered), typeof(BarrierResolved), typeof(TargetSet), typeof(TargetMet), typeof(TargetMissed), typeof(FundingSecured),
        typeof(FundingEnded), typeof(SpreadProgrammeLaunched), typeof(SpreadProgrammeEnded), typeof(CausalLinkAsserted), typeof(CausalLinkWithdrawn),
        typeof(EventRetracted), typeof(EventCorrected),
    };

    /// <summary>Whether the fact opens, closes, corrects or retracts something the ledger holds.</summary>
    public static bool Changes(JourneyEvent e) => ChangedBy.Contains(e.GetType());

    /// <summary>Whether deciding the fact reads the ledger: it closes something, or corrects or retracts an event.</summary>
    public static bool IsReadBy(JourneyEvent e) => e is BarrierResolved or TargetMet or TargetMissed or FundingEnded or SpreadProgrammeEnded
        or CausalLinkWithdrawn or EventCorrected or EventRetracted;

    /// <summary>The ledger after one more fact (the id is the fact's event id); pure, so a rebuild gives the same document.</summary>
    public JourneyLedger After(Guid eventId, JourneyEvent e) => e switch
    {
        BarrierResolved b => this with { OpenBarriers = OpenBarriers.Remove(b.BarrierEventId) },
        TargetMet t => this with { OpenTargets = OpenTargets.Remove(t.TargetEventId) },
        TargetMissed t => this with { OpenTargets = OpenTargets.Remove(t.TargetEventId) },
        FundingEnded f => this with { ActiveFunding = ActiveFunding.Remove(f.FundingEventId) },
        SpreadProgrammeEnded p => this with { ActiveProgrammes = ActiveProgrammes.Remove(p.ProgrammeEventId) },
        CausalLinkWithdrawn w => this with { ActiveLinks = ActiveLinks.Remove(w.LinkEventId) },
        EventRetracted r => Retract(r.RetractedEventId).Reopen(r.Reopens),
        EventCorrected c => this with { Corrections = Corrections.SetItem(c.CorrectedEventId, (Corrections.GetValueOrDefault(c.CorrectedEventId) ?? []).Add(eventId)) },
        _ => Opened(e.GetType(), eventId),
    };

    /// <summary>
    /// What a fact of this type opens, held by its id: a barrier, a target, funding, a programme or a link; the same again when a
    /// retraction takes back the fact that closed it.
    /// </summary>
    private JourneyLedger Opened(Type type, Guid id) =>
        type == typeof(BarrierEncountered) ? this with { OpenBarriers = OpenBarriers.Add(id) }
        : type == typeof(TargetSet) ? this with { OpenTargets = OpenTargets.Add(id) }
        : type == typeof(FundingSecured) ? this with { ActiveFunding = ActiveFunding.Add(id) }
        : type == typeof(SpreadProgrammeLaunched) ? this with { ActiveProgrammes = ActiveProgrammes.Add(id) }
        : type == typeof(CausalLinkAsserted) ? this with { ActiveLinks = ActiveLinks.Add(id) }
        : this;

    /// <summary>
    /// The document the inline projection stores for a journey's events, folded from nothing: none when no fact
    /// changed the ledger (the projection never routes such a journey's events to one).
    /// </summary>
    public static JourneyLedger? Stored(Guid innovationId, IEnumerable<(Guid Id, JourneyEvent Fact)> facts)
    {
        JourneyLedger? ledger = null;
        foreach (var (id, fact) in facts)
        {
            if (Changes(fact))
            {
                ledger = (ledger ?? new JourneyLedger { Id = innovationId }).After(id, fact);
            }
        }

        return ledger;
    }

    // What a retracted closing fact had closed (ReopenedFact) is open again, unless it was retracted too.
    private JourneyLedger Reopen(ReopenedFact? fact) =>
        fact is { EventId: var id } && !Retracted.Contains(id) && EventCatalogue.Find(fact.Type) is { } opener ? Opened(opener.Type, id) : this;

    // A retracted barrier, target, funding, programme or link no longer stands.
    private JourneyLedger Retract(Guid id) => this with
    {
        Retracted = Retracted.Add(id),
        OpenBarriers = OpenBarriers.Remove(id),
        OpenTargets = OpenTargets.Remove(id),
        ActiveFunding = ActiveFunding.Remove(id),
        ActiveProgrammes = ActiveProgrammes.Remove(id),
        ActiveLinks = ActiveLinks.Remove(id),
    };
}

/// <summary>Inline, so a command that closes a barrier sees the one recorded a moment ago.</summary>
public sealed class JourneyLedgerProjection : MultiStreamProjection<JourneyLedger, Guid>
{
    private static readonly Guid[] None = [];

    public JourneyLedgerProjection()
    {
        Name = nameof(JourneyLedger);

        // Site facts, evidence and the like never change the ledger: routed nowhere, so recording one does not read
        // and rewrite it in the command's transaction.
        Identities<JourneyEvent>(e => JourneyLedger.Changes(e) ? [e.InnovationId] : None);
    }

    public override JourneyLedger? Evolve(JourneyLedger? snapshot, Guid id, IEvent e) =>
        e.Data is JourneyEvent fact && JourneyLedger.Changes(fact) ? (snapshot ?? new JourneyLedger { Id = id }).After(e.Id, fact) : snapshot;
}
