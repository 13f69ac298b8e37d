using System.Text.Json;

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

/// <summary>The original should not have been recorded; it stays in the history, marked retracted.</summary>
public sealed record EventRetracted : JourneyEvent
{
    public required Guid RetractedEventId { get; init; }

    public required string Reason { get; init; }

    public override IEnumerable<Guid> ReferencedEvents() => [.. CausedBy, RetractedEventId];
}
