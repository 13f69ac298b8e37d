namespace AdoptionEvents.Journeys.Levers;

public enum ProgrammeScope
{
    Local,
    Regional,
    National,
}

public sealed record GuidanceIssued : JourneyEvent
{
    public required string Body { get; init; }

    public string? Guidance { get; init; }
}

public sealed record EndorsementIssued : JourneyEvent
{
    public required string Body { get; init; }
}

public sealed record NationalLeverApplied : JourneyEvent
{
    /// <summary>Code from the levers vocabulary.</summary>
    public required string Lever { get; init; }

    public string? Body { get; init; }
}

public sealed record PolicySignalIssued : JourneyEvent
{
    public required string Signal { get; init; }

    public string? Body { get; init; }
}

public sealed record TargetSet : JourneyEvent
{
    public required string Target { get; init; }

    /// <summary>Code from the metrics vocabulary, when the target is a number to reach.</summary>
    public string? Metric { get; init; }

    public decimal? Value { get; init; }

    public PartialDate? Due { get; init; }
}

public sealed record TargetMet : JourneyEvent
{
    public required Guid TargetEventId { get; init; }

    public override IEnumerable<Guid> ReferencedEvents() => [.. CausedBy, TargetEventId];
}

public sealed record TargetMissed : JourneyEvent
{
    public required Guid TargetEventId { get; init; }

    public override IEnumerable<Guid> ReferencedEvents() => [.. CausedBy, TargetEventId];
}

public sealed record SpreadProgrammeLaunched : JourneyEvent
{
    public required string Programme { get; init; }

    public required ProgrammeScope Scope { get; init; }

    public string? Lead { get; init; }

    public IReadOnlyList<string> Partners { get; init; } = [];
}

public sealed record SpreadProgrammeEnded : JourneyEvent
{
    public required Guid ProgrammeEventId { get; init; }

    public override IEnumerable<Guid> ReferencedEvents() => [.. CausedBy, ProgrammeEventId];
}

public sealed record AdoptionWaveStarted : JourneyEvent
{
    public required string Wave { get; init; }

    public IReadOnlyList<Guid> SiteIds { get; init; } = [];

    public override IEnumerable<(string Field, Guid Id)> ReferencedOrganisations() => SiteIds.Select(id => ("siteIds", id));
}

public sealed record TechnologyDeployed : JourneyEvent
{
    public required string Technology { get; init; }

    public int? Devices { get; init; }

    public int? Sites { get; init; }
}

/// <summary>This journey took the innovation over from another innovation or place.</summary>
public sealed record AdoptedFromElsewhere : JourneyEvent
{
    public required string Source { get; init; }

    public Guid? SourceInnovationId { get; init; }
}
