namespace AdoptionEvents.Journeys.Resources;

public sealed record FundingSecured : JourneyEvent
{
    public required string Funder { get; init; }

    /// <summary>Code from the funding purposes vocabulary.</summary>
    public required string Purpose { get; init; }

    /// <summary>Absent when the source names the funding but not the sum.</summary>
    public Money? Amount { get; init; }

    public PartialDate? PeriodEnd { get; init; }
}

public sealed record FundingEnded : JourneyEvent
{
    /// <summary>The FundingSecured event that ends.</summary>
    public required Guid FundingEventId { get; init; }

    public string? Reason { get; init; }

    public override IEnumerable<Guid> ReferencedEvents() => [.. CausedBy, FundingEventId];
}

public sealed record SupportOrganisationEngaged : JourneyEvent
{
    public required string Organisation { get; init; }

    public Guid? OrganisationId { get; init; }

    public string? Role { get; init; }

    public override IEnumerable<(string Field, Guid Id)> ReferencedOrganisations() =>
        OrganisationId is { } id ? [("organisationId", id)] : [];
}

public sealed record AwardReceived : JourneyEvent
{
    public required string Award { get; init; }

    public Money? Amount { get; init; }
}

public sealed record ExternalRecognitionRecorded : JourneyEvent
{
    public required string Recognition { get; init; }

    public string? By { get; init; }
}

public sealed record EngagementActivityHeld : JourneyEvent
{
    public required string Activity { get; init; }

    public int? Participants { get; init; }
}
