using System.Globalization;
using System.Text;
using AdoptionEvents.Hosting;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.Organisations;
using Marten;
using Microsoft.Extensions.Options;
using Wolverine.Http;

namespace AdoptionEvents.ReadModels.InnovationSummaries;

public sealed record RegionCovered(Guid Id, string Name, OrganisationKind Kind, int LiveSites);

/// <summary>A summary as read today: Stalled judged against today, its barriers, regions resolved, the thresholds used echoed.</summary>
public sealed record InnovationView(
    InnovationSummary Summary,
    IReadOnlyList<Overlay> Overlays,
    IReadOnlyDictionary<string, Observation> LatestReach,
    IReadOnlyList<BarrierEntry> Barriers,
    IReadOnlyList<RegionCovered> Regions,
    StageThresholds Rules,
    DateOnly Today);

public sealed record InnovationListItem(
    Guid Id, string Name, string? InnovationType, Stage Stage, IReadOnlyList<Overlay> Overlays, int LiveSites,
    IReadOnlyDictionary<SiteState, int> SitesByState, int OpenBarriers, LastEvent? LastEvent);

public sealed record InnovationPage(IReadOnlyList<InnovationListItem> Items, string? Next, StageThresholds Rules);

public static class InnovationEndpoints
{
    [WolverineGet("/api/innovations/{innovationId}")]
    public static async Task<IResult> Get(Guid innovationId, IQuerySession session, IOptions<StageThresholds> rules, TimeProvider clock, CancellationToken ct)
    {
        var summary = await session.LoadAsync<InnovationSummary>(innovationId, ct);
        if (summary is null)
        {
            return Problems.For(new Refusal(404, "innovationId", "known-innovation", $"there is no innovation {innovationId} (or it is not projected yet)"));
        }

        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var live = await session.Query<SummarySite>()
            .Where(s => s.InnovationId == innovationId && (s.State == SiteState.Live || s.State == SiteState.Sustained))
            .Select(s => s.SiteId).ToListAsync(ct);
        var barriers = (await session.Query<BarrierEntry>().Where(b => b.InnovationId == innovationId).ToListAsync(ct))
            .OrderBy(b => b.EncounteredAt.Midpoint).ThenBy(b => b.EventId).ToList();
        foreach (var metric in await session.Query<SummaryMetric>().Where(m => m.InnovationId == innovationId).OrderBy(m => m.Metric).ToListAsync(ct))
        {
            summary.Metrics[metric.Metric] = [.. metric.Observations];
        }

        var tree = await OrganisationTree.WithParentsAsync(session, live, ct);
        var regions = tree.Values
            .Where(o => o.Kind is OrganisationKind.NhsRegion or OrganisationKind.Hin or OrganisationKind.Icb)
            .Select(r => new RegionCovered(r.Id, r.Name, r.Kind, live.Count(site => Under(site, r.Id, tree))))
            .OrderBy(r => r.Kind).ThenBy(r => r.Name)
            .ToList();
        return Results.Ok(new InnovationView(summary, OverlaysOn(summary, today, rules.Value), summary.LatestReach(), barriers, regions, rules.Value, today));
    }

    /// <summary>
    /// Filters: stage, overlay, regionId (any organisation: sites live under it), condition, type, q (name).
    /// Sort: name (default), stage, live_sites, last_event. Paging: limit and the opaque cursor "after" from "next".
    /// </summary>
    [WolverineGet("/api/innovations")]
    public static async Task<IResult> List(IQuerySession session, IOptions<StageThresholds> rules, TimeProvider clock,
        string? stage, string? overlay, Guid? regionId, string? condition, string? type, string? q, string? sort, string? after, int? limit, CancellationToken ct)
    {
        var t = rules.Value;
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        if (Parse<Stage>(stage, "stage") is { Refusal: { } badStage })
        {
            return Problems.For(badStage);
        }

        if (Parse<Overlay>(overlay, "overlay") is { Refusal: { } badOverlay })
        {
            return Problems.For(badOverlay);
        }

        if (sort is not (null or "name" or "stage" or "live_sites" or "last_event"))
        {
            return Problems.For(Refusal.BadInput("sort", "vocabulary", "sort is one of name, stage, live_sites, last_event"));
        }

        if (Offset(after) is not { } offset)
        {
            return Problems.For(Refusal.BadInput("after", "cursor", "after must be a cursor returned as next"));
        }

        var query = session.Query<InnovationSummary>().AsQueryable();
        if (Parse<Stage>(stage, "stage").Value is { } s)
        {
            query = query.Where(x => x.Stage == s);
        }

        var o = Parse<Overlay>(overlay, "overlay").Value;
        if (o == Overlay.Stalled)
        {
            var cutoff = StageRules.StallCutoff(today, t);
            query = query.Where(x => x.OpenBarrierCount > 0 && !x.Retired
                && ((x.LastNewLiveSite != null && x.LastNewLiveSite <= cutoff) || (x.LastNewLiveSite == null && x.FirstRecorded <= cutoff)));
        }
        else if (o is { } standing)
        {
            query = query.Where(x => x.Overlays.Contains(standing));
        }

        if (!string.IsNullOrWhiteSpace(condition))
        {
            query = query.Where(x => x.Conditions.Any(c => c.Contains(condition, StringComparison.OrdinalIgnoreCase)));
        }

        if (!string.IsNullOrWhiteSpace(type))
        {
            query = query.Where(x => x.InnovationType == type);
        }

        if (!string.IsNullOrWhiteSpace(q))
        {
            query = query.Where(x => x.Name.Contains(q, StringComparison.OrdinalIgnoreCase));
        }

        query = sort switch
        {
            "stage" => query.OrderByDescending(x => x.Stage).ThenBy(x => x.Id),
            "live_sites" => query.OrderByDescending(x => x.SiteEventLiveCount).ThenBy(x => x.Id),
            "last_event" => query.OrderByDescending(x => x.LastEvent!.RecordedAt).ThenBy(x => x.Id),
            _ => query.OrderBy(x => x.Name).ThenBy(x => x.Id),
        };

        var take = Math.Clamp(limit ?? 50, 1, 200);
        List<InnovationSummary> page;
        if (regionId is { } region)
        {
            var under = (await OrganisationTree.WithMembersAsync(session, region, ct)).ToArray();
            var covering = (await session.Query<SummarySite>()
                .Where(s => under.Contains(s.SiteId) && (s.State == SiteState.Live || s.State == SiteState.Sustained))
                .Select(s => s.InnovationId).ToListAsync(ct)).ToHashSet();
            var all = await query.ToListAsync(ct);
            page = [.. all.Where(x => covering.Contains(x.Id)).Skip(offset).Take(take + 1)];
        }
        else
        {
            page = [.. await query.Skip(offset).Take(take + 1).ToListAsync(ct)];
        }

        var items = page.Take(take).Select(x => new InnovationListItem(x.Id, x.Name, x.InnovationType, x.Stage, OverlaysOn(x, today, t),
            x.LiveSiteCount, x.SitesByState, x.OpenBarrierCount, x.LastEvent)).ToList();
        return Results.Ok(new InnovationPage(items, page.Count > take ? Cursor(offset + take) : null, t));
    }

    public static List<Overlay> OverlaysOn(InnovationSummary s, DateOnly today, StageThresholds t) =>
        StageRules.IsStalled(s, today, t) ? [Overlay.Stalled, .. s.Overlays] : s.Overlays;

    private static bool Under(Guid site, Guid ancestor, Dictionary<Guid, Organisation> tree)
    {
        var seen = new HashSet<Guid>();
        var frontier = new Stack<Guid>([site]);
        while (frontier.TryPop(out var id))
        {
            if (id == ancestor)
            {
                return true;
            }

            if (seen.Add(id) && tree.TryGetValue(id, out var o))
            {
                foreach (var parent in o.CurrentParents)
                {
                    frontier.Push(parent);
                }
            }
        }

        return false;
    }

    private static string Cursor(int offset) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"o:{offset}"));

    private static int? Offset(string? cursor)
    {
        if (cursor is null)
        {
            return 0;
        }

        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(cursor));
            return text.StartsWith("o:", StringComparison.Ordinal) && int.TryParse(text[2..], NumberStyles.None, CultureInfo.InvariantCulture, out var o) ? o : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    internal static (T? Value, Refusal? Refusal) Parse<T>(string? value, string field) where T : struct, Enum
    {
        if (value is null)
        {
            return (null, null);
        }

        return Enum.TryParse<T>(value.Replace("_", "", StringComparison.Ordinal), ignoreCase: true, out var parsed) && !int.TryParse(value, CultureInfo.InvariantCulture, out _)
            ? (parsed, null)
            : (null, Refusal.BadInput(field, "vocabulary", $"'{value}' is not one of {string.Join(", ", Enum.GetNames<T>().Select(n => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(n)))}"));
    }
}
