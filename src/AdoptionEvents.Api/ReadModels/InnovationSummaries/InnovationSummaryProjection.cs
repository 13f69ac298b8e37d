using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Domino;
using AdoptionEvents.Journeys.Evidence;
using AdoptionEvents.Journeys.Levers;
using AdoptionEvents.Journeys.Measures;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.Resources;
using AdoptionEvents.Journeys.SiteAdoption;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace AdoptionEvents.ReadModels.InnovationSummaries;

/// <summary>
/// Folds a journey into its <see cref="InnovationSummary"/>, with a <see cref="SummarySite"/> per site,
/// a <see cref="BarrierEntry"/> per barrier and a <see cref="SummaryMetric"/> per metric beside it. Deterministic: it reads only the events and
/// the configured thresholds, never the clock, so a rebuild gives the same documents.
/// </summary>
public sealed class InnovationSummaryProjection(StageThresholds thresholds) : IProjection
{
    /// <summary>
    /// A daemon batch: the summaries of its journeys and the sites, barriers and metrics its events name are
    /// loaded, the events folded in order, and what changed stored.
    /// </summary>
    public async Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        var batch = await SummaryBatch.LoadAsync(operations, events, cancellation);
        batch.Fold(this, events);
        batch.Store(operations);
    }

    /// <summary>
    /// One event onto a summary whose <see cref="InnovationSummary.Sites"/>, <see cref="InnovationSummary.Barriers"/> and <see cref="InnovationSummary.Metrics"/>
    /// hold at least what the event names (see <see cref="SummaryBatch"/>). A retraction or correction is counted and changes nothing else here:
    /// what it takes back or corrects is folded by folding the journey again with the fact as it stands (<see cref="Fold"/>), which every caller
    /// does at a retraction or correction.
    /// </summary>
    public InnovationSummary? Evolve(InnovationSummary? snapshot, Guid id, IEvent e) => Evolve(snapshot, id, e, true);

    /// <summary>One event as it stands after <paramref name="amendments"/>: passed over when retracted, its fact as corrected when corrected.</summary>
    public InnovationSummary? Evolve(InnovationSummary? snapshot, Guid id, IEvent e, Amendments amendments) =>
        amendments.IsEmpty ? Evolve(snapshot, id, e, true)
        : amendments.Standing(e) is { } standing ? Evolve(snapshot, id, standing, true) : Evolve(snapshot, id, e, false);

    /// <summary>
    /// As <see cref="Evolve(InnovationSummary?, Guid, IEvent)"/>; an event that does not stand (<paramref name="stands"/> false: a retraction among the
    /// events folded takes it back) is counted as recorded and applies nothing, as if its fact had never been.
    /// </summary>
    public InnovationSummary? Evolve(InnovationSummary? snapshot, Guid id, IEvent e, bool stands)
    {
        if (e.Data is not JourneyEvent fact)
        {
            return snapshot;
        }

        var s = snapshot ?? new InnovationSummary { Id = id };
        if (stands && fact is not (EventRetracted or EventCorrected))
        {
            Apply(s, fact, e.Id, thresholds);
            var reached = StageRules.StageOf(s, thresholds);
            s.KeyDates.TryAdd(Key(reached), fact.OccurredAt);
            s.Stage = reached;

            // A new list only when the overlays change: most events leave them as they were.
            if (!StageRules.HasStandingOverlays(s))
            {
                s.Overlays = StageRules.StandingOverlays(s);
            }

            var when = fact.OccurredAt.Midpoint;
            s.FirstRecorded = s.FirstRecorded is { } first && first <= when ? first : when;
        }

        s.EventCount++;
        s.LastEvent = new LastEvent(e.Id, e.EventTypeName, fact.OccurredAt, e.Timestamp, e.Version);
        return s;
    }

    /// <summary>
    /// A journey's summary folded from nothing over its events in stream order, each as it stands after the retractions and corrections
    /// among them (<see cref="Amendments"/>): every figure, flag and date, the stage and the date each stage was first reached are those of
    /// the journey as if the retracted events had never been recorded and the corrected ones had been recorded as corrected. Only the count
    /// of events and the last event tell the amendments. Null when no event is a journey's.
    /// </summary>
    public InnovationSummary? Fold(Guid id, IReadOnlyList<IEvent> events)
    {
        var amendments = Amendments.Of(events);
        InnovationSummary? s = null;
        foreach (var e in events)
        {
            s = Evolve(s, id, e, amendments);
        }

        return s;
    }

    /// <summary>Observations the summary keeps: innovation-wide and national ones, not a single site's.</summary>
    public static bool Summarises(MetricObserved m) => m.Scope is MeasureScope.Innovation or MeasureScope.National;

    private static readonly string[] Keys = [.. Enum.GetValues<Stage>().Select(KeyOf)];

    public static string Key(Stage stage) => (uint)stage < (uint)Keys.Length ? Keys[(int)stage] : KeyOf(stage);

    private static string KeyOf(Stage stage) => stage switch
    {
        Stage.EmbeddedAtOrigin => "embedded_at_origin",
        Stage.EarlySpread => "early_spread",
        _ => stage.ToString().ToLowerInvariant(),
    };

    private static void Apply(InnovationSummary s, JourneyEvent fact, Guid eventId, StageThresholds t)
    {
        switch (fact)
        {
            case NeedIdentified n:
                s.Need ??= n.Need;
                if (string.IsNullOrEmpty(s.Name))
                {
                    s.Name = n.Need;
                }

                break;
            case InnovationRegistered r:
                (s.Name, s.InnovationType, s.Registered) = (r.Name, r.InnovationType, true);
                (s.Conditions, s.CareSettings, s.Originators) = ([.. r.Conditions], [.. r.CareSettings], [.. r.Originators]);
                s.OriginOrganisationId = r.OriginOrganisationId;
                break;
            case PilotStarted:
                s.PilotStarted = true;
                First(s, "first_pilot", fact);
                break;
            case PilotCompleted or EvidenceRecorded or EvaluationReported:
                s.Evidenced = true;
                First(s, "first_evidence", fact);
                break;
            case FundingSecured f:
                AddFunding(s, f.Purpose, f.Amount);
                break;
            case AwardReceived a when a.Amount is not null:
                AddFunding(s, "award", a.Amount);
                break;
            case NationalLeverApplied l:
                First(s, "first_national_lever", fact);
                s.MandatingLever |= t.MandatingLevers.Contains(l.Lever);
                break;
            case SpreadProgrammeLaunched:
                s.SpreadProgrammeLaunched = true;
                First(s, "first_spread_programme", fact);
                break;
            case OwnershipTransferred:
                s.Transferred = true;
                break;
            case InnovationSuperseded:
                s.Superseded = true;
                break;
            case InnovationRetired:
                s.Retired = true;
                break;
            case SiteEvent site:
                ApplySite(s, site);
                break;
            case BarrierEncountered b:
                s.Barriers.Add(new BarrierEntry
                {
                    EventId = eventId, InnovationId = s.Id, Code = b.Code, Theme = Vocabulary.BarrierCodes.First(c => c.Code == b.Code).Theme,
                    Severity = b.Severity.ToString().ToLowerInvariant(), Scope = b.Scope.ToString().ToLowerInvariant(), SiteId = b.SiteId,
                    EncounteredAt = b.OccurredAt, StageWhenEncountered = s.Stage,
                });
                s.OpenBarrierCount++;
                break;
            case BarrierResolved r:
                ResolveBarrier(s, r.BarrierEventId, r.OccurredAt, r.How);
                break;
            case DominoChangeObserved or NewNeedRevealed or RoleChanged or PathwayChanged or DerivedInnovationLaunched:
                s.DominoChanges++;
                break;
            case MetricObserved m when Summarises(m):
                AddObservation(s, m.Metric, new Observation(eventId, m.Value, m.Unit, m.OccurredAt, m.Cumulative));
                break;
            case EligiblePopulationDefined p:
                (s.EligiblePopulation, s.EligibleUnit) = (p.Size, p.Unit);
                break;
        }
    }

    private static void ApplySite(InnovationSummary s, SiteEvent e)
    {
        var before = s.Sites.TryGetValue(e.SiteId, out var b) ? b : (SiteState?)null;
        if (SiteSteps.After(before, e) is not { } after || after == before)
        {
            if (e is CommissioningSecured)
            {
                First(s, "first_commissioning", e);
            }

            return;
        }

        if (e is AdoptionDecided d)
        {
            s.Decisions++;
            s.Declines += d.Outcome == AdoptionOutcome.Decline ? 1 : 0;
        }

        s.Sites[e.SiteId] = after;
        if (before is { } old)
        {
            s.SitesByState[old]--;
        }

        s.SitesByState[after] = s.SitesByState.GetValueOrDefault(after) + 1;
        var wasLive = before is SiteState.Live or SiteState.Sustained;
        var isLive = after is SiteState.Live or SiteState.Sustained;
        var outsideOrigin = e.SiteId != s.OriginOrganisationId;
        if (wasLive != isLive)
        {
            s.SiteEventLiveCount += isLive ? 1 : -1;
            s.LiveOutsideOrigin += outsideOrigin ? (isLive ? 1 : -1) : 0;
        }

        s.SustainedSiteCount += (after == SiteState.Sustained ? 1 : 0) - (before == SiteState.Sustained ? 1 : 0);
        if (e is ServiceWentLive)
        {
            s.EverLive++;
            var wentLive = e.OccurredAt.Midpoint;
            s.LastNewLiveSite = s.LastNewLiveSite is { } last && last >= wentLive ? last : wentLive;
            First(s, outsideOrigin && s.OriginOrganisationId is not null ? "first_adoption_outside_origin" : "first_live", e);
        }
    }

    private static void First(InnovationSummary s, string key, JourneyEvent e) => s.KeyDates.TryAdd(key, e.OccurredAt);

    private static void AddFunding(InnovationSummary s, string purpose, Money? amount)
    {
        var currency = amount?.Currency ?? "GBP";
        var index = s.Funding.FindIndex(f => f.Purpose == purpose && f.Currency == currency);
        var line = index >= 0 ? s.Funding[index] : new FundingLine(purpose, currency, 0, 0);
        line = line with { Amount = line.Amount + (amount?.Amount ?? 0), Awards = line.Awards + 1 };
        if (index >= 0)
        {
            s.Funding[index] = line;
        }
        else
        {
            s.Funding.Add(line);
        }
    }

    private static void AddObservation(InnovationSummary s, string metric, Observation o)
    {
        if (!s.Metrics.TryGetValue(metric, out var list))
        {
            s.Metrics[metric] = list = [];
        }

        // Ordered by when the value held (occurredAt), not when it was recorded: a late report of an old figure stays in the past.
        var held = o.OccurredAt.Midpoint;
        var at = list.FindLastIndex(x => x.OccurredAt.Midpoint <= held) + 1;
        list.Insert(at, o);
        RefreshObservedLive(s);
    }

    // Only when sites_live is at hand: a daemon batch holds just the metrics it touches, and the stored figure stands for the rest.
    private static void RefreshObservedLive(InnovationSummary s)
    {
        if (s.Metrics.TryGetValue("sites_live", out var sites))
        {
            s.ObservedLiveSites = sites.LastOrDefault(o => o.Cumulative) is { } latest ? (int)latest.Value : 0;
        }
    }

    private static void ResolveBarrier(InnovationSummary s, Guid barrierId, PartialDate at, string how)
    {
        var index = s.Barriers.FindIndex(b => b.EventId == barrierId && b.ResolvedAt is null);
        if (index >= 0)
        {
            s.Barriers[index] = s.Barriers[index] with { ResolvedAt = at, How = how };
            s.OpenBarrierCount--;
        }
    }
}
