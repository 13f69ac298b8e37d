using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.SiteAdoption;
using JasperFx.Events;
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

    public string? DiscontinuationReason { get; set; }

    public List<Guid> SharedWith { get; set; } = [];

    /// <summary>A stable id per (innovation, site), the same as the site's decision status, so a rebuild writes the same documents.</summary>
    public static Guid IdFor(Guid innovationId, Guid siteId) => SiteStatus.IdFor(innovationId, siteId);
}

/// <summary>The site adoption register: one document per innovation and organisation, async across streams.</summary>
public sealed class SiteAdoptionProjection : MultiStreamProjection<SiteAdoption, Guid>
{
    private static readonly Guid[] None = [];

    public SiteAdoptionProjection()
    {
        Identities<JourneyEvent>(e => SiteOf(e) is { } site ? [SiteAdoption.IdFor(e.InnovationId, site)] : None);
    }

    /// <summary>
    /// The site whose document the fact belongs to: a site event's, or the site whose change of state or counted fact a retraction takes back.
    /// Shared by the daemon's slicing, the read-model builder and the as-of folds.
    /// </summary>
    public static Guid? SiteOf(JourneyEvent fact) => fact switch
    {
        SiteEvent s => s.SiteId,
        EventRetracted { SiteChange: { } change } => change.SiteId,
        EventRetracted { SiteFact: { } undone } => undone.SiteId,
        _ => null,
    };

    public override SiteAdoption? Evolve(SiteAdoption? snapshot, Guid id, IEvent e)
    {
        if (e.Data is EventRetracted { SiteChange: { } change } r)
        {
            return snapshot is null ? null : Undo(snapshot, r.RetractedEventId, change);
        }

        if (e.Data is EventRetracted { SiteFact: { } undone })
        {
            return snapshot is null ? null : Undo(snapshot, undone);
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
                s.DeclineReason = d.Reason;
                break;
            case AdoptionDiscontinued d:
                s.DiscontinuationReason = d.Reason;
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
            s.DeclineReason = null;
        }
        else if (change.From == SiteState.Discontinued)
        {
            s.DiscontinuationReason = null;
        }

        return s is { Transitions: [], Adaptations: [], StaffTrained: 0, Commissioned: false, SharedWith: [], DeclineReason: null, DiscontinuationReason: null } ? null : s;
    }
}
