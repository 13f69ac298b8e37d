namespace AdoptionEvents.Journeys.Domino;

public enum Direction
{
    Increase,
    Decrease,
    New,
    Removed,
    Shift,
}

public enum Desirability
{
    Desirable,
    Undesirable,
    Mixed,
    Unknown,
}

public enum Directness
{
    Direct,
    Indirect,
}

public enum Anticipation
{
    Anticipated,
    Unanticipated,
}

/// <summary>A knock-on change the innovation set off (the report's domino effect).</summary>
public sealed record DominoChangeObserved : JourneyEvent
{
    /// <summary>Code from the domino kinds vocabulary.</summary>
    public required string Kind { get; init; }

    /// <summary>What changed (a pathway, a role, a setting, a service).</summary>
    public required string Target { get; init; }

    public Direction? Direction { get; init; }

    public string? Magnitude { get; init; }

    public Desirability Desirability { get; init; } = Desirability.Unknown;

    public Directness Directness { get; init; } = Directness.Direct;

    public Anticipation? Anticipation { get; init; }

    /// <summary>Further kinds when one change is several at once (e.g. a role change that is also a setting shift).</summary>
    public IReadOnlyList<string> AlsoKinds { get; init; } = [];
}

public sealed record NewNeedRevealed : JourneyEvent
{
    public required string Need { get; init; }
}

public enum RoleHolder
{
    Staff,
    Patient,
    Carer,
}

public sealed record RoleChanged : JourneyEvent
{
    public required RoleHolder Who { get; init; }

    public required string Role { get; init; }

    public required string Change { get; init; }
}

public sealed record PathwayChanged : JourneyEvent
{
    public required string Pathway { get; init; }

    public required string Change { get; init; }
}

public sealed record DerivedInnovationLaunched : JourneyEvent
{
    public required string Derived { get; init; }

    public Guid? DerivedInnovationId { get; init; }
}

/// <summary>A causal link found after both events were recorded.</summary>
public sealed record CausalLinkAsserted : JourneyEvent
{
    public required Guid CauseEventId { get; init; }

    public required Guid EffectEventId { get; init; }

    public string? Rationale { get; init; }

    public override IEnumerable<Guid> ReferencedEvents() => [.. CausedBy, CauseEventId, EffectEventId];
}

public sealed record CausalLinkWithdrawn : JourneyEvent
{
    /// <summary>The CausalLinkAsserted event withdrawn.</summary>
    public required Guid LinkEventId { get; init; }

    public required string Reason { get; init; }

    public override IEnumerable<Guid> ReferencedEvents() => [.. CausedBy, LinkEventId];
}
