namespace AdoptionEvents.Journeys.SiteAdoption;

public enum AdoptionOutcome
{
    Adopt,
    Decline,
    Defer,
}

public enum DecisionLevel
{
    Site,
    Organisation,
    System,
    Region,
    National,
}

public sealed record AdopterAware : SiteEvent
{
    /// <summary>How the site heard of it (a network event, a peer, guidance ...).</summary>
    public string? Channel { get; init; }
}

public sealed record AdoptionConsidered : SiteEvent
{
    public string? By { get; init; }
}

public sealed record AdoptionDecided : SiteEvent
{
    public required AdoptionOutcome Outcome { get; init; }

    public string? Reason { get; init; }

    public DecisionLevel? DecisionLevel { get; init; }

    /// <summary>Who decided (a board, a committee, a named role).</summary>
    public string? DecidedBy { get; init; }
}

public sealed record ImplementationStarted : SiteEvent;

/// <summary>Local tailoring. Changing a core component is a loss of fidelity; an adaptable one is expected.</summary>
public sealed record AdaptationMade : SiteEvent
{
    public required string Component { get; init; }

    public required string Adaptation { get; init; }

    public bool CoreComponent { get; init; }
}

public sealed record StaffTrained : SiteEvent
{
    public required int Count { get; init; }

    public string? Role { get; init; }
}

public sealed record ServiceWentLive : SiteEvent;

public sealed record CommissioningSecured : SiteEvent
{
    public string? Commissioner { get; init; }
}

public sealed record UsageDropped : SiteEvent
{
    public string? Metric { get; init; }

    public string? Detail { get; init; }
}

public sealed record AdoptionSuspended : SiteEvent
{
    public required string Reason { get; init; }
}

public sealed record AdoptionResumed : SiteEvent;

public sealed record AdoptionDiscontinued : SiteEvent
{
    public required string Reason { get; init; }
}

public sealed record SustainmentConfirmed : SiteEvent
{
    public string? Evidence { get; init; }
}

/// <summary>Learning passed from one site (SiteId) to another.</summary>
public sealed record KnowledgeShared : SiteEvent
{
    public required Guid ToSiteId { get; init; }

    public string? How { get; init; }

    public override IEnumerable<(string Field, Guid Id)> ReferencedOrganisations() => [("siteId", SiteId), ("toSiteId", ToSiteId)];
}
