using System.Text.Json;

namespace AdoptionEvents.Journeys;

/// <summary>
/// A fact of an innovation's journey. Every fact says when it happened (with the precision the source
/// allows), where the knowledge comes from, and which earlier facts it follows from. Who recorded it,
/// and when, is stream metadata (Marten's timestamp and user name), not part of the fact.
/// </summary>
public abstract record JourneyEvent
{
    /// <summary>The journey (stream) the fact belongs to; set from the route, never trusted from a body.</summary>
    public Guid InnovationId { get; init; }

    public required PartialDate OccurredAt { get; init; }

    public required Provenance Provenance { get; init; }

    /// <summary>Ids of earlier events (of this journey or another) this one follows from.</summary>
    public IReadOnlyList<Guid> CausedBy { get; init; } = [];

    /// <summary>One line for people reading the history.</summary>
    public string? Summary { get; init; }

    /// <summary>Fields of an imported source that have no home in this event's schema: kept, never dropped.</summary>
    public IReadOnlyDictionary<string, JsonElement>? Extra { get; init; }

    /// <summary>Events this fact names besides <see cref="CausedBy"/> (a barrier it resolves, a target it meets ...).</summary>
    public virtual IEnumerable<Guid> ReferencedEvents() => CausedBy;

    /// <summary>Organisations this fact names; each must be registered.</summary>
    public virtual IEnumerable<(string Field, Guid Id)> ReferencedOrganisations() => [];
}

/// <summary>A milestone of one site's adoption: it names the organisation.</summary>
public abstract record SiteEvent : JourneyEvent
{
    public required Guid SiteId { get; init; }

    public override IEnumerable<(string Field, Guid Id)> ReferencedOrganisations() => [("siteId", SiteId)];
}

/// <summary>How a source or an inference supports a fact.</summary>
public enum Basis
{
    /// <summary>A source says so.</summary>
    Stated,

    /// <summary>Derived from sources (a date or a link worked out, not said).</summary>
    Inferred,

    /// <summary>Invented to illustrate; not a claim about the world.</summary>
    Illustrative,
}

public sealed record SourceReference
{
    /// <summary>Short id of the source, stable within a data set (e.g. "KF-ESC").</summary>
    public required string Id { get; init; }

    public string? Address { get; init; }

    /// <summary>Where in the source: page, section, paragraph, timestamp.</summary>
    public string? Locator { get; init; }
}

public sealed record Provenance
{
    public required Basis Basis { get; init; }

    public IReadOnlyList<SourceReference> Sources { get; init; } = [];

    /// <summary>0 to 1, when the recorder wants to say how sure they are.</summary>
    public double? Confidence { get; init; }
}

public sealed record Money
{
    public required decimal Amount { get; init; }

    /// <summary>ISO 4217 code, e.g. GBP.</summary>
    public required string Currency { get; init; }
}
