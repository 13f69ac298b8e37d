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

    public override IEnumerable<Guid> ReferencedEvents() => [.. CausedBy, CorrectedEventId];
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

    public override IEnumerable<Guid> ReferencedEvents() => [.. CausedBy, RetractedEventId];

    /// <summary>The site whose change of state it takes back, so the site's history shows the retraction.</summary>
    public override IEnumerable<(string Field, Guid Id)> ReferencedOrganisations() => SiteChange is { } change ? [("siteChange.siteId", change.SiteId)] : [];
}

/// <summary>A site's change of state that a retraction takes back: from the state the retracted event led to, back to the one before it (null: not yet known on the journey).</summary>
public sealed record UndoneSiteChange(Guid SiteId, SiteState From, SiteState? To);
