using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Levers;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.ReadModels.ChangeLog;
using AdoptionEvents.ReadModels.InnovationSummaries;
using JasperFx.Events;

namespace AdoptionEvents.Evaluation;

public sealed record CurvePoint(DateOnly Date, decimal Value, decimal? Share);

public sealed record AdoptionCurve(IReadOnlyList<CurvePoint> FromSiteEvents, IReadOnlyList<CurvePoint> FromObservations, int? EligiblePopulation);

/// <summary>A logistic fit of cumulative live sites: rate per year, midpoint and plateau; or why there is none.</summary>
public sealed record LogisticFit(double? RatePerYear, DateOnly? Midpoint, double? Plateau, int Points, double? RSquared, string? NotEnoughData);

public sealed record QuarterCount(string Quarter, int NewLiveSites);

public sealed record SiteCategory(Guid SiteId, PartialDate WentLive, string Category);

public sealed record Funnel(int Engaged, int DecidedToAdopt, int Trained, int Live, int Sustained, decimal? EngagedToLive, decimal? LiveToSustained);

public sealed record Stall(DateOnly From, DateOnly To, int Days, IReadOnlyList<string> OpenBarriers, bool Ongoing);

public sealed record Maintenance(int EverLive, int LiveNow, int Discontinued, int Suspended, decimal? AbandonmentRate);

public sealed record TargetOutcome(Guid TargetEventId, string Target, string? Metric, decimal? Value, PartialDate? Due, string Status, decimal? LatestObserved);

public sealed record FundingLineByStage(string Purpose, string Stage, string Currency, decimal Amount);

public sealed record MeasureSet(
    Guid InnovationId,
    string Name,
    PartialDate? Start,
    string StartEvent,
    IReadOnlyDictionary<string, Lag?> TimeTo,
    AdoptionCurve Curve,
    IReadOnlyList<QuarterCount> SpreadPerQuarter,
    LogisticFit Logistic,
    IReadOnlyList<SiteCategory> AdopterCategories,
    Funnel Funnel,
    IReadOnlyList<Stall> Stalls,
    Maintenance Maintenance,
    IReadOnlyDictionary<string, Observation> Reach,
    IReadOnlyDictionary<string, int> DominoProfile,
    IReadOnlyDictionary<string, int> BarrierProfileByTheme,
    IReadOnlyDictionary<string, int> BarrierProfileByStage,
    IReadOnlyList<FundingLineByStage> Funding,
    IReadOnlyList<TargetOutcome> Targets,
    StageThresholds Rules);

/// <summary>
/// The evaluation measures of a journey, computed from its events (corrections and retractions applied,
/// as the projections apply them). Imprecise dates give intervals (time-to measures) or count at their
/// midpoint (curves); where the data cannot support a measure the answer says so.
/// </summary>
public static class Measures
{
    public static MeasureSet Compute(IReadOnlyList<IEvent> events, StageThresholds t, DateOnly today, string startEvent = "first_event") =>
        Compute(JourneyFold.Of(events, t), events, t, today, startEvent);

    /// <summary>The measures from a fold of every event of the journey (no time axes), made once by the caller.</summary>
    public static MeasureSet Compute(JourneyFold fold, IReadOnlyList<IEvent> events, StageThresholds t, DateOnly today, string startEvent = "first_event")
    {
        var s = fold.Summary ?? throw new InvalidOperationException("a journey has at least one event");
        // Each fact as it stands: a retracted one left out, a corrected one as corrected.
        var amendments = Amendments.Of(events);
        var facts = events.Select(amendments.Standing).Where(e => e?.Data is JourneyEvent).Select(e => (Event: e!, Fact: (JourneyEvent)e!.Data)).ToList();
        var start = StartOf(facts, s, startEvent);

        var timeTo = new Dictionary<string, Lag?>
        {
            ["first_adoption_outside_origin"] = Between(start, s.KeyDates.GetValueOrDefault("first_adoption_outside_origin") ?? (s.OriginOrganisationId is null ? SecondLive(facts) : null)),
            ["evidence"] = Between(start, s.KeyDates.GetValueOrDefault("first_evidence")),
            ["commissioning"] = Between(start, s.KeyDates.GetValueOrDefault("first_commissioning")),
            ["national_lever"] = Between(start, s.KeyDates.GetValueOrDefault("first_national_lever")),
        };

        var wentLive = facts.Where(x => x.Fact is ServiceWentLive).Select(x => (Site: ((ServiceWentLive)x.Fact).SiteId, x.Fact.OccurredAt))
            .GroupBy(x => x.Site).Select(g => g.OrderBy(x => x.OccurredAt.Midpoint).First()).OrderBy(x => x.OccurredAt.Midpoint).ThenBy(x => x.Site).ToList();
        var curve = Curve(fold, s);
        return new MeasureSet(
            s.Id, s.Name, start, startEvent, timeTo, curve,
            [.. wentLive.GroupBy(x => Quarter(x.OccurredAt.Midpoint)).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new QuarterCount(g.Key, g.Count()))],
            Fit(curve.FromSiteEvents.Count >= curve.FromObservations.Count ? curve.FromSiteEvents : curve.FromObservations),
            Categories(wentLive, s.EligiblePopulation),
            FunnelOf(fold),
            Stalls(facts, t, today),
            new Maintenance(s.EverLive, s.SiteEventLiveCount, s.SitesByState.GetValueOrDefault(SiteState.Discontinued), s.SitesByState.GetValueOrDefault(SiteState.Suspended),
                s.EverLive == 0 ? null : Math.Round(s.SitesByState.GetValueOrDefault(SiteState.Discontinued) / (decimal)s.EverLive, 4)),
            s.LatestReach(),
            fold.DominoNodes().GroupBy(i => i.Kind!).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            s.Barriers.GroupBy(b => b.Theme).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            s.Barriers.GroupBy(b => InnovationSummaryProjection.Key(b.StageWhenEncountered)).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            FundingByStage(fold),
            Targets(facts, s),
            t);
    }

    private static PartialDate? StartOf(List<(IEvent Event, JourneyEvent Fact)> facts, InnovationSummary s, string startEvent) => startEvent switch
    {
        "first_event" => facts.Select(x => x.Fact.OccurredAt).MinBy(d => d.Midpoint),
        _ when EventCatalogue.Find(startEvent) is { } type => facts.Where(x => x.Fact.GetType() == type.Type).Select(x => x.Fact.OccurredAt).MinBy(d => d.Midpoint),
        _ => s.KeyDates.GetValueOrDefault(startEvent),
    };

    private static PartialDate? SecondLive(List<(IEvent Event, JourneyEvent Fact)> facts) =>
        facts.Where(x => x.Fact is ServiceWentLive).Select(x => x.Fact.OccurredAt).OrderBy(d => d.Midpoint).Skip(1).FirstOrDefault();

    private static Lag? Between(PartialDate? start, PartialDate? end) => ChangeLogGraph.LagBetween(start, end);

    private static string Quarter(DateOnly d) => $"{d.Year}-Q{((d.Month - 1) / 3) + 1}";

    private static AdoptionCurve Curve(JourneyFold fold, InnovationSummary s)
    {
        // Cumulative live sites after each dated site transition (live or sustained counts as live).
        var changes = fold.Sites.Values.SelectMany(site => site.Transitions.Select((tr, i) =>
            (Date: tr.OccurredAt.Midpoint, Delta: (IsLive(tr.State) ? 1 : 0) - (i > 0 && IsLive(site.Transitions[i - 1].State) ? 1 : 0))))
            .Where(c => c.Delta != 0).GroupBy(c => c.Date).OrderBy(g => g.Key).ToList();
        var running = 0;
        var fromSites = changes.Select(g =>
        {
            running += g.Sum(c => c.Delta);
            return new CurvePoint(g.Key, running, Share(running, s.EligiblePopulation));
        }).ToList();
        var observed = s.Metrics.GetValueOrDefault("sites_live", []).Where(o => o.Cumulative)
            .Select(o => new CurvePoint(o.OccurredAt.Midpoint, o.Value, Share(o.Value, s.EligiblePopulation))).ToList();
        return new AdoptionCurve(fromSites, observed, s.EligiblePopulation);
    }

    private static bool IsLive(SiteState state) => state is SiteState.Live or SiteState.Sustained;

    private static decimal? Share(decimal value, int? population) => population is > 0 ? Math.Round(value / population.Value, 4) : null;

    /// <summary>
    /// y = K / (1 + e^(-r (t - t0))) fitted by a search over the plateau K with a linear fit of the logit
    /// for each; at least five points with at least three distinct values are needed.
    /// </summary>
    public static LogisticFit Fit(IReadOnlyList<CurvePoint> points)
    {
        var usable = points.Where(p => p.Value > 0).ToList();
        if (usable.Count < 5 || usable.Select(p => p.Value).Distinct().Count() < 3)
        {
            return new LogisticFit(null, null, null, usable.Count, null, $"a logistic fit needs at least 5 dated points with 3 distinct values; this journey has {usable.Count}");
        }

        var origin = usable[0].Date.DayNumber;
        var xs = usable.Select(p => (p.Date.DayNumber - origin) / 365.25).ToArray();
        var ys = usable.Select(p => (double)p.Value).ToArray();
        var max = ys.Max();
        (double Sse, double K, double R, double T0)? best = null;
        for (var k = max * 1.01; k <= max * 5; k *= 1.01)
        {
            var logits = ys.Select(y => Math.Log(y / (k - y))).ToArray();
            var (slope, intercept) = Linear(xs, logits);
            if (slope <= 0)
            {
                continue;
            }

            var t0 = -intercept / slope;
            var sse = xs.Select((x, i) => Math.Pow(ys[i] - (k / (1 + Math.Exp(-slope * (x - t0)))), 2)).Sum();
            if (best is null || sse < best.Value.Sse)
            {
                best = (sse, k, slope, t0);
            }
        }

        if (best is not { } fit)
        {
            return new LogisticFit(null, null, null, usable.Count, null, "the points do not rise: no logistic curve fits them");
        }

        var mean = ys.Average();
        var total = ys.Sum(y => (y - mean) * (y - mean));
        return new LogisticFit(Math.Round(fit.R, 4), DateOnly.FromDayNumber(origin + (int)Math.Round(fit.T0 * 365.25)), Math.Round(fit.K, 1), usable.Count,
            total == 0 ? null : Math.Round(1 - (fit.Sse / total), 4), null);
    }

    private static (double Slope, double Intercept) Linear(double[] xs, double[] ys)
    {
        var (mx, my) = (xs.Average(), ys.Average());
        var sxx = xs.Sum(x => (x - mx) * (x - mx));
        var slope = sxx == 0 ? 0 : xs.Select((x, i) => (x - mx) * (ys[i] - my)).Sum() / sxx;
        return (slope, my - (slope * mx));
    }

    /// <summary>Rogers' categories by order of going live: 2.5 % innovators, 13.5 % early adopters, 34 % early majority, 34 % late majority, 16 % laggards (of the eligible population when defined, else of the sites that went live).</summary>
    private static List<SiteCategory> Categories(List<(Guid Site, PartialDate OccurredAt)> wentLive, int? eligible)
    {
        var n = Math.Max(eligible ?? 0, wentLive.Count);
        return [.. wentLive.Select((x, i) =>
        {
            var share = (i + 1) / (double)n;
            var category = share <= 0.025 ? "innovator" : share <= 0.16 ? "early_adopter" : share <= 0.5 ? "early_majority" : share <= 0.84 ? "late_majority" : "laggard";
            return new SiteCategory(x.Site, x.OccurredAt, category);
        })];
    }

    private static Funnel FunnelOf(JourneyFold fold)
    {
        var sites = fold.Sites.Values.ToList();
        var engaged = sites.Count;
        var decided = sites.Count(s => s.Transitions.Any(t => t.State == SiteState.Adopting));
        var trained = sites.Count(s => s.StaffTrained > 0);
        var live = sites.Count(s => s.Transitions.Any(t => t.State == SiteState.Live));
        var sustained = sites.Count(s => s.Transitions.Any(t => t.State == SiteState.Sustained));
        return new Funnel(engaged, decided, trained, live, sustained,
            engaged == 0 ? null : Math.Round(live / (decimal)engaged, 4), live == 0 ? null : Math.Round(sustained / (decimal)live, 4));
    }

    /// <summary>Gaps of at least StallMonths between new live sites (or since the last one, to today) with a barrier open during the gap.</summary>
    private static List<Stall> Stalls(List<(IEvent Event, JourneyEvent Fact)> facts, StageThresholds t, DateOnly today)
    {
        // The first resolution of each barrier, in stream order.
        var resolved = new Dictionary<Guid, DateOnly>();
        foreach (var (_, fact) in facts)
        {
            if (fact is BarrierResolved r)
            {
                resolved.TryAdd(r.BarrierEventId, r.OccurredAt.Midpoint);
            }
        }

        var barriers = facts.Where(x => x.Fact is BarrierEncountered).Select(x => (Id: x.Event.Id, Code: ((BarrierEncountered)x.Fact).Code, From: x.Fact.OccurredAt.Midpoint,
            To: resolved.TryGetValue(x.Event.Id, out var to) ? to : (DateOnly?)null)).ToList();
        var starts = facts.Where(x => x.Fact is ServiceWentLive).Select(x => x.Fact.OccurredAt.Midpoint).Distinct().Order().ToList();
        if (starts.Count == 0 && facts.Count > 0)
        {
            starts.Add(facts.Min(x => x.Fact.OccurredAt.Midpoint));
        }

        var stalls = new List<Stall>();
        for (var i = 0; i < starts.Count; i++)
        {
            var (from, ongoing) = (starts[i], i == starts.Count - 1);
            var to = ongoing ? today : starts[i + 1];
            if (to < from.AddMonths(t.StallMonths))
            {
                continue;
            }

            var open = barriers.Where(b => b.From < to && (b.To is null || b.To > from)).Select(b => b.Code).Distinct().Order().ToList();
            if (open.Count > 0)
            {
                stalls.Add(new Stall(from, to, to.DayNumber - from.DayNumber, open, ongoing));
            }
        }

        return stalls;
    }

    private static List<FundingLineByStage> FundingByStage(JourneyFold fold)
    {
        var lines = fold.Funding.Select(x => new FundingLineByStage(x.Funding.Purpose, InnovationSummaryProjection.Key(x.StageBefore), x.Funding.Amount?.Currency ?? "GBP", x.Funding.Amount?.Amount ?? 0));
        return [.. lines.GroupBy(l => (l.Purpose, l.Stage, l.Currency)).Select(g => g.First() with { Amount = g.Sum(l => l.Amount) })];
    }

    private static List<TargetOutcome> Targets(List<(IEvent Event, JourneyEvent Fact)> facts, InnovationSummary s)
    {
        var met = facts.Select(f => f.Fact).OfType<TargetMet>().Select(m => m.TargetEventId).ToHashSet();
        var missed = facts.Select(f => f.Fact).OfType<TargetMissed>().Select(m => m.TargetEventId).ToHashSet();
        var reach = s.LatestReach();
        return [.. facts.Where(x => x.Fact is TargetSet).Select(x =>
        {
            var target = (TargetSet)x.Fact;
            var status = met.Contains(x.Event.Id) ? "met" : missed.Contains(x.Event.Id) ? "missed" : "open";
            var latest = target.Metric is { } metric && reach.TryGetValue(metric, out var o) ? o.Value : (decimal?)null;
            return new TargetOutcome(x.Event.Id, target.Target, target.Metric, target.Value, target.Due, status, latest);
        })];
    }
}
