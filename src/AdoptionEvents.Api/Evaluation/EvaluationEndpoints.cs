using AdoptionEvents.Hosting;
using AdoptionEvents.Organisations;
using AdoptionEvents.ReadModels.InnovationSummaries;
using Marten;
using Microsoft.Extensions.Options;
using Wolverine.Http;

namespace AdoptionEvents.Evaluation;

public sealed record RegionCoverage(int RegionsWithLiveSite, IReadOnlyList<string> Regions);

public sealed record EvaluationView(MeasureSet Measures, RegionCoverage Coverage);

public sealed record Comparison(string AlignedOn, IReadOnlyList<EvaluationView> Journeys);

public static class EvaluationEndpoints
{
    /// <summary>Every evaluation measure of one journey (see README: Audit and replay).</summary>
    [WolverineGet("/api/innovations/{innovationId}/measures")]
    public static async Task<IResult> Get(Guid innovationId, IQuerySession session, JourneyEvents journeys, IOptions<StageThresholds> rules, TimeProvider clock, string? alignOn, CancellationToken ct)
    {
        if (Unknown(alignOn) is { } bad)
        {
            return Problems.For(bad);
        }

        var view = await MeasureAsync(session, journeys, innovationId, rules.Value, clock, alignOn ?? "first_event", ct);
        return view is null ? Problems.For(new Refusal(404, "innovationId", "known-innovation", $"there is no innovation {innovationId}")) : Results.Ok(view);
    }

    /// <summary>Journeys side by side, each timed from the chosen start (an event type or a key date: first_event, innovation_registered, first_live ...).</summary>
    [WolverineGet("/api/evaluation/compare")]
    public static async Task<IResult> Compare(IQuerySession session, JourneyEvents journeys, IOptions<StageThresholds> rules, TimeProvider clock, string? innovationIds, string? alignOn, CancellationToken ct)
    {
        var ids = (innovationIds ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (ids.Length is < 2 or > 20 || ids.Any(i => !Guid.TryParse(i, out _)))
        {
            return Problems.For(Refusal.BadInput("innovationIds", "list", "give 2 to 20 innovation ids, comma-separated"));
        }

        if (Unknown(alignOn) is { } bad)
        {
            return Problems.For(bad);
        }

        var views = new List<EvaluationView>();
        foreach (var id in ids.Select(Guid.Parse))
        {
            if (await MeasureAsync(session, journeys, id, rules.Value, clock, alignOn ?? "first_event", ct) is not { } view)
            {
                return Problems.For(new Refusal(404, "innovationIds", "known-innovation", $"there is no innovation {id}"));
            }

            views.Add(view);
        }

        return Results.Ok(new Comparison(alignOn ?? "first_event", views));
    }

    public static async Task<EvaluationView?> MeasureAsync(IQuerySession session, JourneyEvents journeys, Guid id, StageThresholds rules, TimeProvider clock, string alignOn, CancellationToken ct)
    {
        var journey = await journeys.ReadKeptAsync(session, id, ct);
        var events = journey.Events;
        if (events.Count == 0)
        {
            return null;
        }

        // Measures read the fold of every event, which the journey's checkpoint keeps (shared with as-of: read, never applied to).
        var fold = journey.Checkpoint.Covering(events, rules, new TimeAxes(null, null))!.Fold;
        var measures = Measures.Compute(fold, events, rules, DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime), alignOn);
        var live = fold.Summary!.Sites.Where(s => s.Value is Journeys.SiteAdoption.SiteState.Live or Journeys.SiteAdoption.SiteState.Sustained).Select(s => s.Key);
        var tree = await OrganisationTree.WithParentsAsync(session, live, ct);
        var regions = tree.Values.Where(o => o.Kind is OrganisationKind.NhsRegion).Select(o => o.Name).Order(StringComparer.Ordinal).ToList();
        return new EvaluationView(measures, new RegionCoverage(regions.Count, regions));
    }

    private static Refusal? Unknown(string? alignOn) =>
        alignOn is null or "first_event" || Journeys.EventCatalogue.Find(alignOn) is not null || alignOn.StartsWith("first_", StringComparison.Ordinal)
        || Enum.GetValues<Stage>().Any(s => InnovationSummaryProjection.Key(s) == alignOn)
            ? null
            : Refusal.BadInput("alignOn", "vocabulary", "alignOn is first_event, an event type (e.g. innovation_registered) or a key date (e.g. first_live, early_spread)");
}
