namespace AdoptionEvents.Journeys.Evidence;

public sealed record PilotStarted : JourneyEvent
{
    public Guid? SiteId { get; init; }

    public string? Description { get; init; }

    public override IEnumerable<(string Field, Guid Id)> ReferencedOrganisations() => SiteId is { } id ? [("siteId", id)] : [];
}

public sealed record PilotCompleted : JourneyEvent
{
    public Guid? SiteId { get; init; }

    public string? Outcome { get; init; }

    public override IEnumerable<(string Field, Guid Id)> ReferencedOrganisations() => SiteId is { } id ? [("siteId", id)] : [];
}

public sealed record EvidenceRecorded : JourneyEvent
{
    /// <summary>Code from the evidence types vocabulary.</summary>
    public required string EvidenceType { get; init; }

    public string? Title { get; init; }

    public string? Finding { get; init; }
}

public sealed record EvaluationReported : JourneyEvent
{
    public required string Evaluator { get; init; }

    public string? Finding { get; init; }
}

public enum Complexity
{
    Simple,
    Complicated,
    Complex,
}

/// <summary>A NASSS assessment: each domain judged simple, complicated or complex.</summary>
public sealed record ComplexityAssessed : JourneyEvent
{
    public required IReadOnlyDictionary<string, Complexity> Domains { get; init; }

    public string? AssessedBy { get; init; }
}
