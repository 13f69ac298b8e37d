using AdoptionEvents.Hosting;
using AdoptionEvents.Journeys;
using AdoptionEvents.Organisations;
using AdoptionEvents.ReadModels.InnovationSummaries;
using Marten;
using Wolverine.Http;

namespace AdoptionEvents.ReadModels.BarrierBoard;

public sealed record BarrierRow(Guid InnovationId, string Innovation, BarrierEntry Barrier, string? Region, int? DaysToResolution);

public sealed record Tally(string Key, string Label, int Open, int Resolved, double? MeanDaysToResolution);

public sealed record BarrierBoardView(
    int Open, int Resolved, double? MeanDaysToResolution,
    IReadOnlyList<Tally> ByTheme, IReadOnlyList<Tally> ByCode, IReadOnlyList<Tally> ByStage, IReadOnlyList<Tally> ByRegion,
    IReadOnlyList<BarrierRow> Barriers);

public static class BarrierBoardEndpoints
{
    /// <summary>Barriers by theme, code, stage (when met) and region (the NHS region or HIN of the site), open and resolved, with time to resolution (midpoint to midpoint).</summary>
    [WolverineGet("/api/barriers")]
    public static async Task<IResult> Get(IQuerySession session, Guid? innovationId, Guid? regionId, string? status, string? theme, CancellationToken ct)
    {
        if (status is not (null or "open" or "resolved"))
        {
            return Problems.For(Refusal.BadInput("status", "vocabulary", "status is open or resolved"));
        }

        if (theme is not null && !Vocabulary.Themes.Has(theme))
        {
            return Problems.For(Refusal.BadInput("theme", "vocabulary", $"theme is one of {Vocabulary.Themes.Codes()}"));
        }

        var query = session.Query<BarrierEntry>().AsQueryable();
        if (innovationId is { } id)
        {
            query = query.Where(b => b.InnovationId == id);
        }

        var barriers = await query.ToListAsync(ct);
        var innovations = barriers.Select(b => b.InnovationId).Distinct().ToArray();
        var names = (await session.Query<InnovationSummary>().Where(s => innovations.Contains(s.Id)).Select(s => new { s.Id, s.Name }).ToListAsync(ct))
            .ToDictionary(s => s.Id, s => s.Name);
        var sites = barriers.Select(b => b.SiteId).OfType<Guid>().Distinct().ToList();
        var tree = await OrganisationTree.WithParentsAsync(session, sites, ct);
        HashSet<Guid>? under = regionId is { } r ? await OrganisationTree.WithMembersAsync(session, r, ct) : null;

        var rows = barriers
            .Select(b => new BarrierRow(b.InnovationId, names.GetValueOrDefault(b.InnovationId, ""), b, RegionOf(b.SiteId, tree),
                b.ResolvedAt is { } done ? done.Midpoint.DayNumber - b.EncounteredAt.Midpoint.DayNumber : null))
            .Where(x => under is null || (x.Barrier.SiteId is { } site && under.Contains(site)))
            .Where(x => status is null || (status == "open") == (x.Barrier.ResolvedAt is null))
            .Where(x => theme is null || x.Barrier.Theme == theme)
            .OrderBy(x => x.Barrier.EncounteredAt.Midpoint).ThenBy(x => x.Barrier.EventId)
            .ToList();

        static List<Tally> By(IEnumerable<BarrierRow> rows, Func<BarrierRow, string> key, Func<string, string> label) =>
            [.. rows.GroupBy(key).OrderBy(g => g.Key).Select(g => new Tally(g.Key, label(g.Key),
                g.Count(x => x.Barrier.ResolvedAt is null), g.Count(x => x.Barrier.ResolvedAt is not null),
                g.Any(x => x.DaysToResolution is not null) ? g.Where(x => x.DaysToResolution is not null).Average(x => x.DaysToResolution!.Value) : null))];

        return Results.Ok(new BarrierBoardView(
            rows.Count(x => x.Barrier.ResolvedAt is null), rows.Count(x => x.Barrier.ResolvedAt is not null),
            rows.Any(x => x.DaysToResolution is not null) ? rows.Where(x => x.DaysToResolution is not null).Average(x => x.DaysToResolution!.Value) : null,
            By(rows, x => x.Barrier.Theme, k => Vocabulary.Themes.First(t => t.Code == k).Label),
            By(rows, x => x.Barrier.Code, k => Vocabulary.BarrierCodes.First(c => c.Code == k).Label),
            By(rows, x => InnovationSummaryProjection.Key(x.Barrier.StageWhenEncountered), k => k),
            By(rows, x => x.Region ?? "(no site)", k => k),
            rows));
    }

    private static string? RegionOf(Guid? site, Dictionary<Guid, Organisation> tree)
    {
        var seen = new HashSet<Guid>();
        var frontier = new Queue<Guid>(site is { } s ? [s] : []);
        while (frontier.TryDequeue(out var id))
        {
            if (!seen.Add(id) || !tree.TryGetValue(id, out var o))
            {
                continue;
            }

            if (o.Kind is OrganisationKind.NhsRegion or OrganisationKind.Hin)
            {
                return o.Name;
            }

            foreach (var parent in o.CurrentParents.Order())
            {
                frontier.Enqueue(parent);
            }
        }

        return null;
    }
}
