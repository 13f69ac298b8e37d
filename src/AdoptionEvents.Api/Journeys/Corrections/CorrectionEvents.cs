using System.Text.Json;
using AdoptionEvents.Journeys.SiteAdoption;

namespace AdoptionEvents.Journeys.Corrections;

/// <summary>
/// Nothing is ever edited: a correction names the original event and the fields it replaces. The
/// original stays in the history; replay and measures read the corrected values.
/// </summary>
public sealed record EventCorrected : JourneyEvent
{
    public required Guid CorrectedEventId { get; init; }

    /// <summary>Field name (as in the original's JSON) to its corrected value.</summary>
    public required IReadOnlyDictionary<string, JsonElement> Changes { get; init; }

    public required string Reason { get; init; }

    /// <summary>
    /// Set by the store, never by the caller, when the corrected event is a site event: its site, so the site's register entry and
    /// history see the correction, and what the register counted of the fact before and counts after.
    /// </summary>
    public CorrectedSiteFact? SiteFact { get; init; }

    public override IEnumerable<Guid> ReferencedEvents() => [.. CausedBy, CorrectedEventId];

    public override IEnumerable<(string Field, Guid Id)> ReferencedOrganisations() => SiteFact is { } site ? [("siteFact.siteId", site.SiteId)] : [];
}

/// <summary>
/// A site event's correction as the site register reads it: the site, and the staff trained or the adaptation it counted of the fact as
/// recorded (<see cref="Was"/>) and as corrected (<see cref="Now"/>); both null for a fact it counts nothing of. The dates, the core
/// component and a reason come from the correction's changes.
/// </summary>
public sealed record CorrectedSiteFact(Guid SiteId)
{
    public UndoneSiteFact? Was { get; init; }

    public UndoneSiteFact? Now { get; init; }
}

/// <summary>
/// The original should not have been recorded; it stays in the history, marked retracted. When it changed a site's
/// state, the retraction takes that change back and says so (<see cref="SiteChange"/>).
/// </summary>
public sealed record EventRetracted : JourneyEvent
{
    public required Guid RetractedEventId { get; init; }

    public required string Reason { get; init; }

    /// <summary>
    /// Set by the store, never by the caller, when the retracted event changed its site's state: the site goes back
    /// from the state that event led to. Null for any other event.
    /// </summary>
    public UndoneSiteChange? SiteChange { get; init; }

    /// <summary>
    /// Set by the store, never by the caller, when the retracted event was a site fact the site register counts without
    /// a change of state (staff trained, an adaptation, knowledge shared): what the register takes back.
    /// </summary>
    public UndoneSiteFact? SiteFact { get; init; }

    /// <summary>
    /// Set by the store, never by the caller, when the retracted event closed another (a barrier resolved, a target met or
    /// missed, funding or a programme ended, a link withdrawn) that still stands: that fact is open again for later commands.
    /// </summary>
    public ReopenedFact? Reopens { get; init; }

    public override IEnumerable<Guid> ReferencedEvents() => [.. CausedBy, RetractedEventId];

    /// <summary>The site whose change or fact it takes back, so the site's history shows the retraction.</summary>
    public override IEnumerable<(string Field, Guid Id)> ReferencedOrganisations() => (SiteChange, SiteFact) switch
    {
        ({ } change, _) => [("siteChange.siteId", change.SiteId)],
        (_, { } fact) => [("siteFact.siteId", fact.SiteId)],
        _ => [],
    };
}

/// <summary>A fact a retracted event had closed, open again: its event and its type (barrier_encountered, target_set, funding_secured, spread_programme_launched, causal_link_asserted).</summary>
public sealed record ReopenedFact(Guid EventId, string Type)
{
    // Each fact that closes another: the type of the fact it closes, and which one.
    private static readonly Dictionary<Type, (Type Opener, Func<JourneyEvent, Guid> Closed)> Closers = new()
    {
        [typeof(Barriers.BarrierResolved)] = (typeof(Barriers.BarrierEncountered), e => ((Barriers.BarrierResolved)e).BarrierEventId),
        [typeof(Levers.TargetMet)] = (typeof(Levers.TargetSet), e => ((Levers.TargetMet)e).TargetEventId),
        [typeof(Levers.TargetMissed)] = (typeof(Levers.TargetSet), e => ((Levers.TargetMissed)e).TargetEventId),
        [typeof(Resources.FundingEnded)] = (typeof(Resources.FundingSecured), e => ((Resources.FundingEnded)e).FundingEventId),
        [typeof(Levers.SpreadProgrammeEnded)] = (typeof(Levers.SpreadProgrammeLaunched), e => ((Levers.SpreadProgrammeEnded)e).ProgrammeEventId),
        [typeof(Domino.CausalLinkWithdrawn)] = (typeof(Domino.CausalLinkAsserted), e => ((Domino.CausalLinkWithdrawn)e).LinkEventId),
    };

    /// <summary>What retracting <paramref name="closing"/> opens again; null for a fact that closes nothing.</summary>
    public static ReopenedFact? Of(JourneyEvent closing) =>
        Closers.TryGetValue(closing.GetType(), out var c) ? new(c.Closed(closing), EventCatalogue.NameOf(c.Opener)) : null;

    /// <summary>Whether retracting an event of this type may open another again (the store reads its content for it).</summary>
    public static bool Closes(string type) => EventCatalogue.Find(type) is { } entry && Closers.ContainsKey(entry.Type);
}

/// <summary>A site's change of state that a retraction takes back: from the state the retracted event led to, back to the one before it (null: not yet known on the journey).</summary>
public sealed record UndoneSiteChange(Guid SiteId, SiteState From, SiteState? To);

/// <summary>
/// A site fact that changed no state, as the site register counts it, taken back by a retraction: the staff trained, the
/// adaptation (component and change) or the site knowledge was shared with.
/// </summary>
public sealed record UndoneSiteFact(Guid SiteId)
{
    public int? StaffTrained { get; init; }

    public string? Component { get; init; }

    public string? Adaptation { get; init; }

    public Guid? SharedWith { get; init; }

    /// <summary>True for a commissioning: the register counts one fewer, and the site is commissioned while any stands.</summary>
    public bool? Commissioning { get; init; }

    /// <summary>What the register takes back for the retracted fact; null for a fact it does not count (usage dropped ...).</summary>
    public static UndoneSiteFact? Of(SiteEvent fact) => fact switch
    {
        StaffTrained t => new UndoneSiteFact(t.SiteId) { StaffTrained = t.Count },
        AdaptationMade a => new UndoneSiteFact(a.SiteId) { Component = a.Component, Adaptation = a.Adaptation },
        KnowledgeShared k => new UndoneSiteFact(k.SiteId) { SharedWith = k.ToSiteId },
        CommissioningSecured c => new UndoneSiteFact(c.SiteId) { Commissioning = true },
        _ => null,
    };
}
