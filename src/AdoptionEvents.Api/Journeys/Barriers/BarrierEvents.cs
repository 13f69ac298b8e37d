namespace AdoptionEvents.Journeys.Barriers;

public enum BarrierScope
{
    Site,
    Regional,
    National,
    Innovation,
}

public enum Severity
{
    Low,
    Medium,
    High,
}

public sealed record BarrierEncountered : JourneyEvent
{
    /// <summary>Code from the barrier taxonomy (L1..O2).</summary>
    public required string Code { get; init; }

    public required BarrierScope Scope { get; init; }

    public required Severity Severity { get; init; }

    /// <summary>The site that met it, when the scope is a site.</summary>
    public Guid? SiteId { get; init; }

    public string? Description { get; init; }

    public override IEnumerable<(string Field, Guid Id)> ReferencedOrganisations() => SiteId is { } id ? [("siteId", id)] : [];
}

public sealed record BarrierResolved : JourneyEvent
{
    public required Guid BarrierEventId { get; init; }

    public required string How { get; init; }

    public override IEnumerable<Guid> ReferencedEvents() => [.. CausedBy, BarrierEventId];
}

public sealed record EnablerObserved : JourneyEvent
{
    /// <summary>Theme (T1..T5, O) the enabler works on.</summary>
    public required string Theme { get; init; }

    /// <summary>The barrier code it counters, when one is named.</summary>
    public string? Code { get; init; }

    public required string Description { get; init; }
}
