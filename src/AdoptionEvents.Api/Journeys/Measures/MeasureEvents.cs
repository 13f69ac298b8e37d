namespace AdoptionEvents.Journeys.Measures;

public enum MeasureScope
{
    Innovation,
    Site,
    Region,
    Network,
    National,
}

/// <summary>
/// A dated observation of a metric, by whom and under which definition; never one overwritten number.
/// The source data set calls it ReachMeasured.
/// </summary>
public sealed record MetricObserved : JourneyEvent
{
    /// <summary>Code from the metrics vocabulary.</summary>
    public required string Metric { get; init; }

    public required decimal Value { get; init; }

    /// <summary>count, percent, ratio, GBP, people ...</summary>
    public required string Unit { get; init; }

    /// <summary>A running total rather than a count for the period alone.</summary>
    public bool Cumulative { get; init; } = true;

    public MeasureScope Scope { get; init; } = MeasureScope.Innovation;

    /// <summary>The organisation the scope names (a site, an ICB, a HIN).</summary>
    public Guid? ScopeOrganisationId { get; init; }

    public PartialDate? PeriodStart { get; init; }

    public string? Definition { get; init; }

    public string? ReportedBy { get; init; }

    public override IEnumerable<(string Field, Guid Id)> ReferencedOrganisations() =>
        ScopeOrganisationId is { } id ? [("scopeOrganisationId", id)] : [];
}

public sealed record CoverageMilestoneReached : JourneyEvent
{
    public required string Milestone { get; init; }

    public int? Sites { get; init; }

    /// <summary>Share of the eligible population, 0 to 1.</summary>
    public decimal? Share { get; init; }
}

/// <summary>The denominator for shares: e.g. 42 ICBs, about 6,750 GP practices, all seven EDs in a region.</summary>
public sealed record EligiblePopulationDefined : JourneyEvent
{
    public required string Population { get; init; }

    public required int Size { get; init; }

    public required string Unit { get; init; }
}
