using System.Text.Json;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.SiteAdoption;
using JasperFx.Events;
using JasperFx.Events.Aggregation;
using JasperFx.Events.Daemon;
using Marten;
using Marten.Events.Projections;

namespace AdoptionEvents.ReadModels.SiteRegister;

public sealed record Transition(SiteState State, PartialDate OccurredAt, Guid EventId);

public sealed record Adaptation(string Component, string Change, bool CoreComponent, PartialDate OccurredAt);

/// <summary>One site's adoption of one innovation: its state, the date of every transition, what it changed, why it stopped.</summary>
public sealed class SiteAdoption
{
    public Guid Id { get; set; }

    public Guid InnovationId { get; set; }

    public Guid SiteId { get; set; }

    public SiteState? State { get; set; }

    public List<Transition> Transitions { get; set; } = [];

    public List<Adaptation> Adaptations { get; set; } = [];

    public int StaffTrained { get; set; }

    /// <summary>Whether a commissioning of the service stands (<see cref="Commissionings"/> above 0).</summary>
    public bool Commissioned { get; set; }

    /// <summary>
    /// The commissionings recorded that stand, so that a retracted one leaves the site commissioned while another stands. An entry
    /// stored before they were counted (November 2026) counts none: a retraction of its commissioning clears <see cref="Commissioned"/>.
    /// </summary>
    public int Commissionings { get; set; }

    public string? DeclineReason { get; set; }

    /// <summary>The decision to decline that <see cref="DeclineReason"/> comes from, so a correction of its reason reaches the register.</summary>
    public Guid? DeclineEventId { get; set; }

    public string? DiscontinuationReason { get; set; }

    /// <summary>The discontinuation that <see cref="DiscontinuationReason"/> comes from.</summary>
    public Guid? DiscontinuationEventId { get; set; }

    public List<Guid> SharedWith { get; set; } = [];

    /// <summary>A stable id per (innovation, site), the same as the site's decision status, so a rebuild writes the same documents.</summary>
    public static Guid IdFor(Guid innovationId, Guid siteId) => SiteStatus.IdFor(innovationId, siteId);

    /// <summary>
    /// A copy deep as far as <see cref="SiteAdoptionProjection.Next"/> changes a document in place: every list is new, the records in
    /// them are immutable and shared. A member added here must be added to the copy; the unit tests compare every member.
    /// </summary>
    public SiteAdoption Copy() => new()
    {
        Id = Id,
        InnovationId = InnovationId,
        SiteId = SiteId,
        State = State,
        Transitions = [.. Transitions],
        Adaptations = [.. Adaptations],
        StaffTrained = StaffTrained,
        Commissioned = Commissioned,
        Commissionings = Commissionings,
        DeclineReason = DeclineReason,
        DeclineEventId = DeclineEventId,
        DiscontinuationReason = DiscontinuationReason,
        DiscontinuationEventId = DiscontinuationEventId,
        SharedWith = [.. SharedWith],
    };
}

/// <summary>The site adoption register: one document per innovation and organisation, async across streams.</summary>
public sealed class SiteAdoptionProjection : MultiStreamProjection<SiteAdoption, Guid>
{
    /// <summary>Sites whose documents the daemon keeps in memory between pages unless <c>Projections:CachedSites</c> says otherwise.</summary>
    public const int DefaultCachedSites = 10_000;

    private static readonly Guid[] None = [];

    /// <summary>
    /// <paramref name="cachedSites"/>: how many sites' documents the daemon keeps in memory, the most recently changed, so that a page of
    /// events on sites it met lately does not read their documents back (0: every page reads them). Marten keeps them per running shard
    /// and puts a document in only once its page has committed; a shard started again (after a rebuild, an import's catch-up or a
    /// failure) starts with none. The folds (as-of, the builder) keep their own documents and pass 0.
    /// </summary>
    public SiteAdoptionProjection(int cachedSites = 0)
    {
        Identities<JourneyEvent>(e => SiteOf(e) is { } site ? [SiteAdoption.IdFor(e.InnovationId, site)] : None);
        Options.CacheLimitPerTenant = cachedSites;
    }

    /// <summary>
    /// The daemon's step for one site's events in a page: <see cref="Next"/> over each, from a copy of the stored document. Next changes a
    /// document in place, and the stored one may be the one the daemon keeps in memory, which must stay as committed should the page's
    /// transaction fail. A document that no event leaves (a site whose only change was retracted) is deleted.
    /// </summary>
    public override ValueTask<(SiteAdoption?, ActionType)> DetermineActionAsync(IQuerySession session, SiteAdoption? snapshot, Guid identity,
        IIdentitySetter<SiteAdoption, Guid> identitySetter, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        var document = snapshot?.Copy();
        foreach (var e in events)
        {
            document = Next(document, identity, e);
        }

        var action = document is not null ? ActionType.Store : snapshot is not null ? ActionType.Delete : ActionType.Nothing;
        return ValueTask.FromResult((document, action));
    }

    /// <summary>
    /// The site whose document the fact belongs to: a site event's, the site whose change of state or counted fact a retraction takes back,
    /// or the site of a corrected site event.
    /// Shared by the daemon's slicing, the read-model builder and the as-of folds.
    /// </summary>
    public static Guid? SiteOf(JourneyEvent fact) => fact switch
    {
        SiteEvent s => s.SiteId,
        EventRetracted { SiteChange: { } change } => change.SiteId,
        EventRetracted { SiteFact: { } undone } => undone.SiteId,
        EventCorrected { SiteFact: { } corrected } => corrected.SiteId,
        _ => null,
    };

    /// <summary>The site's document after one more event, changed in place (null: nothing recorded of the site stands); pure otherwise, so a rebuild gives the same document.</summary>
    public SiteAdoption? Next(SiteAdoption? snapshot, Guid id, IEvent e)
    {
        if (e.Data is EventRetracted { SiteChange: { } change } r)
        {
            return snapshot is null ? null : Undo(snapshot, r.RetractedEventId, change);
        }

        if (e.Data is EventRetracted { SiteFact: { } undone })
        {
            return snapshot is null ? null : Undo(snapshot, undone);
        }

        if (e.Data is EventCorrected { SiteFact: { } site } correction)
        {
            return snapshot is null ? null : Correct(snapshot, correction, site);
        }

        if (e.Data is not SiteEvent fact)
        {
            return snapshot;
        }

        var s = snapshot ?? new SiteAdoption { Id = id, InnovationId = fact.InnovationId, SiteId = fact.SiteId };
        var before = s.Transitions.Count == 0 ? (SiteState?)null : s.State;
        if (SiteTransitions.Next(before, fact) is ({ } after, null) && after != before)
        {
            s.State = after;
            s.Transitions.Add(new Transition(after, fact.OccurredAt, e.Id));
        }

        switch (fact)
        {
            case AdoptionDecided { Outcome: AdoptionOutcome.Decline } d:
                (s.DeclineReason, s.DeclineEventId) = (d.Reason, e.Id);
                break;
            case AdoptionDiscontinued d:
                (s.DiscontinuationReason, s.DiscontinuationEventId) = (d.Reason, e.Id);
                break;
            case AdaptationMade a:
                s.Adaptations.Add(new Adaptation(a.Component, a.Adaptation, a.CoreComponent, a.OccurredAt));
                break;
            case StaffTrained t:
                s.StaffTrained += t.Count;
                break;
            case CommissioningSecured:
                s.Commissionings++;
                s.Commissioned = true;
                break;
            case KnowledgeShared k:
                s.SharedWith.Add(k.ToSiteId);
                break;
        }

        return s;
    }

    // A corrected site event as the register holds it: the date of its transition, the reason where the register's decline or
    // discontinuation reason is the event's, the staff trained or the adaptation as corrected (the one recorded taken back). A fold that
    // never applied the event (an as-of view of an earlier date) holds none of them; the callers that may not have applied a counted fact check before.
    private static SiteAdoption Correct(SiteAdoption s, EventCorrected c, CorrectedSiteFact site)
    {
        var date = c.Changes.TryGetValue("occurredAt", out var changed) ? CorrectedFact.Date(changed) : null;
        var at = s.Transitions.FindIndex(t => t.EventId == c.CorrectedEventId);
        if (at >= 0 && date is not null)
        {
            s.Transitions[at] = s.Transitions[at] with { OccurredAt = date };
        }

        if (c.Changes.TryGetValue("reason", out var reason) && reason.ValueKind == JsonValueKind.String)
        {
            s.DeclineReason = s.DeclineEventId == c.CorrectedEventId ? reason.GetString() : s.DeclineReason;
            s.DiscontinuationReason = s.DiscontinuationEventId == c.CorrectedEventId ? reason.GetString() : s.DiscontinuationReason;
        }

        if (site is { Was: { } was, Now: { } now })
        {
            s.StaffTrained = Math.Max(0, s.StaffTrained - (was.StaffTrained ?? 0)) + (now.StaffTrained ?? 0);
            if (was.Component is not null && s.Adaptations.FindIndex(a => a.Component == was.Component && a.Change == was.Adaptation) is var adaptation and >= 0)
            {
                var old = s.Adaptations[adaptation];
                var core = c.Changes.TryGetValue("coreComponent", out var flag) && flag.ValueKind is JsonValueKind.True or JsonValueKind.False ? flag.GetBoolean() : old.CoreComponent;
                s.Adaptations[adaptation] = new Adaptation(now.Component ?? old.Component, now.Adaptation ?? old.Change, core, date ?? old.OccurredAt);
            }
        }

        return s;
    }

    // What the register counted of a retracted site fact, taken back (one adaptation or sharing of the same content, if several; one commissioning).
    private static SiteAdoption Undo(SiteAdoption s, UndoneSiteFact fact)
    {
        s.StaffTrained = Math.Max(0, s.StaffTrained - (fact.StaffTrained ?? 0));
        if (fact.Component is not null && s.Adaptations.FindIndex(a => a.Component == fact.Component && a.Change == fact.Adaptation) is var adaptation and >= 0)
        {
            s.Adaptations.RemoveAt(adaptation);
        }

        if (fact.SharedWith is { } to && s.SharedWith.IndexOf(to) is var shared and >= 0)
        {
            s.SharedWith.RemoveAt(shared);
        }

        if (fact.Commissioning is true)
        {
            s.Commissionings = Math.Max(0, s.Commissionings - 1);
            s.Commissioned = s.Commissionings > 0;
        }

        return s;
    }

    // The change is taken back only if it is the document's last transition: a fold that never applied it (an as-of view
    // of an earlier date) has nothing to take back. A change that left the state as it was has no transition either. A site
    // left with nothing recorded leaves the register (null: the document is deleted).
    private static SiteAdoption? Undo(SiteAdoption s, Guid retracted, UndoneSiteChange change)
    {
        if (s.Transitions is not [.., var last] || last.EventId != retracted)
        {
            return s;
        }

        s.Transitions.RemoveAt(s.Transitions.Count - 1);
        s.State = s.Transitions.Count == 0 ? null : s.Transitions[^1].State;
        if (change.From == SiteState.Declined)
        {
            (s.DeclineReason, s.DeclineEventId) = (null, null);
        }
        else if (change.From == SiteState.Discontinued)
        {
            (s.DiscontinuationReason, s.DiscontinuationEventId) = (null, null);
        }

        return s is { Transitions: [], Adaptations: [], StaffTrained: 0, Commissioned: false, SharedWith: [], DeclineReason: null, DiscontinuationReason: null } ? null : s;
    }
}
