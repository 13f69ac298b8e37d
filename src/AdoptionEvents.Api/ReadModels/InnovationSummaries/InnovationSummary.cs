using System.Text.Json.Serialization;
using AdoptionEvents.Hosting;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.SiteAdoption;

namespace AdoptionEvents.ReadModels.InnovationSummaries;

public sealed record Observation(Guid EventId, decimal Value, string Unit, PartialDate OccurredAt, bool Cumulative);

public sealed record FundingLine(string Purpose, string Currency, decimal Amount, int Awards);

/// <summary>
/// One barrier met by an innovation, and its resolution: a document of its own (id: the event that
/// recorded it), written by <see cref="InnovationSummaryProjection"/> beside the summary.
/// </summary>
public sealed record BarrierEntry
{
    public Guid EventId { get; init; }

    public Guid InnovationId { get; init; }

    public required string Code { get; init; }

    public required string Theme { get; init; }

    public required string Severity { get; init; }

    public required string Scope { get; init; }

    public Guid? SiteId { get; init; }

    public required PartialDate EncounteredAt { get; init; }

    public Stage StageWhenEncountered { get; init; }

    public PartialDate? ResolvedAt { get; init; }

    public string? How { get; init; }
}

/// <summary>
/// A site's state as <see cref="InnovationSummaryProjection"/> last folded it (the summary's counts by
/// state follow from these), a document per innovation and site beside the summary: a batch of events
/// reads and writes only the sites it names, not every site of the journey.
/// </summary>
public sealed record SummarySite(Guid Id, Guid InnovationId, Guid SiteId, SiteState State)
{
    public static Guid IdFor(Guid innovationId, Guid siteId) => SiteStatus.IdFor(innovationId, siteId);
}

/// <summary>
/// Every observation of one metric of an innovation, ordered as <see cref="InnovationSummary.Metrics"/> orders
/// them: a document per innovation and metric, written by <see cref="InnovationSummaryProjection"/> beside the summary.
/// </summary>
public sealed record SummaryMetric(Guid Id, Guid InnovationId, string Metric, IReadOnlyList<Observation> Observations)
{
    public static Guid IdFor(Guid innovationId, string metric) => StableId.For(innovationId, System.Text.Encoding.UTF8.GetBytes(metric));
}

public sealed record LastEvent(Guid Id, string Type, PartialDate OccurredAt, DateTimeOffset RecordedAt, long Version);

/// <summary>
/// One innovation at a glance: what it is, its stage (derived, never typed in), key dates, sites by
/// state, latest reach, funding by purpose, open barriers, the last event. Built by
/// <see cref="InnovationSummaryProjection"/>; mutable because a journey of 50,000 events is folded
/// in place rather than copied per event. Each site's state and each barrier are documents of their
/// own (<see cref="SummarySite"/>, <see cref="BarrierEntry"/>), and so is each metric's history
/// (<see cref="SummaryMetric"/>): the stored summary stays a few
/// kilobytes however far the innovation spreads, so the daemon does not rewrite every site and
/// barrier of a journey for every batch of its events.
/// </summary>
public sealed class InnovationSummary
{
    public Guid Id { get; set; }

    public string Name { get; set; } = "";

    public string? Need { get; set; }

    public string? InnovationType { get; set; }

    public List<string> Conditions { get; set; } = [];

    public List<string> CareSettings { get; set; } = [];

    public List<string> Originators { get; set; } = [];

    public Guid? OriginOrganisationId { get; set; }

    public Stage Stage { get; set; }

    /// <summary>Overlays that follow from the facts; Stalled is judged when read, against today.</summary>
    public List<Overlay> Overlays { get; set; } = [];

    /// <summary>When each stage was first reached, and other milestones (first_commissioning, first_national_lever ...).</summary>
    public Dictionary<string, PartialDate> KeyDates { get; set; } = [];

    /// <summary>
    /// Site states by site id, not stored with the summary: every site in a fold held in memory (as-of,
    /// measures, a rebuild); in the daemon, the sites its batch names, loaded from their <see cref="SummarySite"/>.
    /// </summary>
    [JsonIgnore]
    public Dictionary<Guid, SiteState> Sites { get; set; } = [];

    public Dictionary<SiteState, int> SitesByState { get; set; } = [];

    /// <summary>Sites live or sustained now, from site events.</summary>
    public int SiteEventLiveCount { get; set; }

    public int SustainedSiteCount { get; set; }

    /// <summary>Sites that have ever gone live.</summary>
    public int EverLive { get; set; }

    public int LiveOutsideOrigin { get; set; }

    /// <summary>The latest observed count of live sites (metric sites_live), when reported.</summary>
    public int ObservedLiveSites { get; set; }

    /// <summary>Live sites: the larger of site events and the latest observed count, never their sum.</summary>
    public int LiveSiteCount => Math.Max(SiteEventLiveCount, ObservedLiveSites);

    public int? EligiblePopulation { get; set; }

    public string? EligibleUnit { get; set; }

    public bool Registered { get; set; }

    public bool PilotStarted { get; set; }

    public bool Evidenced { get; set; }

    public bool SpreadProgrammeLaunched { get; set; }

    public bool MandatingLever { get; set; }

    public bool Superseded { get; set; }

    public bool Transferred { get; set; }

    public bool Retired { get; set; }

    public int Decisions { get; set; }

    public int Declines { get; set; }

    public DateOnly? FirstRecorded { get; set; }

    /// <summary>Midpoint of the latest date a site went live for the first time.</summary>
    public DateOnly? LastNewLiveSite { get; set; }

    /// <summary>
    /// Every observation per metric (innovation or national scope), latest last by occurredAt. Answers carry
    /// it; the stored summary does not (a metric reported monthly by every site grows without end): each
    /// metric's history is a <see cref="SummaryMetric"/>, every one in a fold in memory, in the daemon the
    /// ones its batch observes, corrects or retracts.
    /// </summary>
    [StoredApart]
    public Dictionary<string, List<Observation>> Metrics { get; set; } = [];

    public List<FundingLine> Funding { get; set; } = [];

    /// <summary>Barriers in the order met; like <see cref="Sites"/>, every one in memory, only those in play in the daemon.</summary>
    [JsonIgnore]
    public List<BarrierEntry> Barriers { get; set; } = [];

    public int OpenBarrierCount { get; set; }

    public int DominoChanges { get; set; }

    public int EventCount { get; set; }

    public LastEvent? LastEvent { get; set; }

    /// <summary>The latest observation of each metric: the reach an evaluator asks for first.</summary>
    public Dictionary<string, Observation> LatestReach() =>
        Metrics.Where(m => m.Value.Count > 0).ToDictionary(m => m.Key, m => m.Value[^1]);
}
