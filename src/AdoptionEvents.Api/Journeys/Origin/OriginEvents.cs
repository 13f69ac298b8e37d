namespace AdoptionEvents.Journeys.Origin;

/// <summary>The need that started it all; may open a journey before the innovation has a name.</summary>
public sealed record NeedIdentified : JourneyEvent
{
    public required string Need { get; init; }

    public string? Condition { get; init; }

    /// <summary>Where the need was seen, when that is a registered organisation.</summary>
    public Guid? OrganisationId { get; init; }

    public override IEnumerable<(string Field, Guid Id)> ReferencedOrganisations() =>
        OrganisationId is { } id ? [("organisationId", id)] : [];
}

public sealed record InnovationRegistered : JourneyEvent
{
    public required string Name { get; init; }

    /// <summary>Code from the innovation types vocabulary.</summary>
    public required string InnovationType { get; init; }

    public IReadOnlyList<string> Conditions { get; init; } = [];

    public IReadOnlyList<string> CareSettings { get; init; } = [];

    public IReadOnlyList<string> Originators { get; init; } = [];

    public Guid? OriginOrganisationId { get; init; }

    public override IEnumerable<(string Field, Guid Id)> ReferencedOrganisations() =>
        OriginOrganisationId is { } id ? [("originOrganisationId", id)] : [];
}

public sealed record VersionReleased : JourneyEvent
{
    public required string Version { get; init; }

    /// <summary>What must stay the same everywhere (fidelity).</summary>
    public IReadOnlyList<string> CoreComponents { get; init; } = [];

    /// <summary>What sites may tailor.</summary>
    public IReadOnlyList<string> AdaptableComponents { get; init; } = [];
}

public sealed record OwnershipTransferred : JourneyEvent
{
    public required string To { get; init; }

    public Guid? ToOrganisationId { get; init; }

    public string? Mechanism { get; init; }

    public override IEnumerable<(string Field, Guid Id)> ReferencedOrganisations() =>
        ToOrganisationId is { } id ? [("toOrganisationId", id)] : [];
}

public sealed record LicenceGranted : JourneyEvent
{
    public required string Licensee { get; init; }

    public string? Terms { get; init; }
}

public sealed record InnovationSuperseded : JourneyEvent
{
    public required string SupersededBy { get; init; }

    public Guid? SupersededByInnovationId { get; init; }
}

/// <summary>After this, the journey takes only corrections and retractions.</summary>
public sealed record InnovationRetired : JourneyEvent
{
    public required string Reason { get; init; }
}
