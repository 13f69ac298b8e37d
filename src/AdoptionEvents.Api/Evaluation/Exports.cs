using System.Globalization;
using System.Text;
using System.Text.Json;
using AdoptionEvents.Hosting;
using AdoptionEvents.Importing;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Audit;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.Organisations;
using AdoptionEvents.ReadModels.InnovationSummaries;
using Marten;
using Microsoft.Extensions.Options;
using Wolverine.Http;

namespace AdoptionEvents.Evaluation;

public sealed record EvaluationPack(
    DateTimeOffset GeneratedAt, Guid InnovationId, InnovationSummary? Summary, EvaluationView Measures, VerificationReport Verification,
    IReadOnlyList<HistoryEntry> History, IReadOnlyList<SourceReference> Sources, StageThresholds Rules);

/// <summary>
/// Journeys out of the store: the export format (NDJSON, the format the importer reads, organisations the
/// journeys name included), CSV for spreadsheets, and an evaluation pack (JSON) for an evaluator.
/// </summary>
public static class ExportEndpoints
{
    /// <summary>One journey, or several (innovationIds=a,b) or every journey (none given), as NDJSON or CSV.</summary>
    [WolverineGet("/api/exports")]
    public static async Task<IResult> Export(HttpContext http, IQuerySession session, string? innovationIds, string? format, CancellationToken ct)
    {
        if (format is not (null or "ndjson" or "csv"))
        {
            return Problems.For(Refusal.BadInput("format", "vocabulary", "format is ndjson or csv"));
        }

        List<Guid> ids;
        if (string.IsNullOrWhiteSpace(innovationIds))
        {
            ids = [.. await Verification.JourneysAsync(session, ct)];
        }
        else
        {
            var parts = innovationIds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Any(p => !Guid.TryParse(p, out _)))
            {
                return Problems.For(Refusal.BadInput("innovationIds", "list", "innovationIds is a comma-separated list of ids"));
            }

            ids = [.. parts.Select(Guid.Parse)];
            foreach (var id in ids)
            {
                if (await session.Events.FetchStreamStateAsync(id, ct) is null)
                {
                    return Problems.For(new Refusal(404, "innovationIds", "known-innovation", $"there is no innovation {id}"));
                }
            }
        }

        var batch = await BatchAsync(session, ids, ct);
        if (format == "csv")
        {
            http.Response.ContentType = "text/csv; charset=utf-8";
            http.Response.Headers.ContentDisposition = "attachment; filename=\"journeys.csv\"";
            await using var csv = new StreamWriter(http.Response.Body, new UTF8Encoding(false));
            await WriteCsvAsync(csv, session, ids, ct);
            return Results.Empty;
        }

        http.Response.ContentType = "application/x-ndjson";
        http.Response.Headers.ContentDisposition = "attachment; filename=\"journeys.ndjson\"";
        await using var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false));
        await ExportFormat.WriteAsync(writer, batch, DateTimeOffset.UnixEpoch, "unknown", ct);
        return Results.Empty;
    }

    /// <summary>Everything an evaluator takes away about one journey: summary, measures, full history, sources, the tamper check.</summary>
    [WolverineGet("/api/innovations/{innovationId}/evaluation-pack")]
    public static async Task<IResult> Pack(Guid innovationId, IQuerySession session, JourneyEvents journeys, IOptions<StageThresholds> rules, TimeProvider clock, CancellationToken ct)
    {
        var measures = await EvaluationEndpoints.MeasureAsync(session, journeys, innovationId, rules.Value, clock, "first_event", ct);
        if (measures is null)
        {
            return Problems.For(new Refusal(404, "innovationId", "known-innovation", $"there is no innovation {innovationId}"));
        }

        var events = await session.Events.FetchStreamAsync(innovationId, token: ct);
        var history = events.Where(e => e.Data is JourneyEvent).Select(HistoryEntry.Of).ToList();
        var sources = events.Select(e => e.Data).OfType<JourneyEvent>().SelectMany(f => f.Provenance.Sources)
            .GroupBy(s => s.Id).Select(g => g.OrderByDescending(s => s.Address is not null).First()).OrderBy(s => s.Id, StringComparer.Ordinal).ToList();
        return Results.Ok(new EvaluationPack(clock.GetUtcNow(), innovationId, JourneyFold.Of(events, rules.Value).Summary, measures,
            await Verification.VerifyAsync(session, [innovationId], ct), history, sources, rules.Value));
    }

    /// <summary>The journeys as an import batch: their events in order, and every organisation they name with its history.</summary>
    public static async Task<ImportBatch> BatchAsync(IQuerySession session, IReadOnlyList<Guid> innovationIds, CancellationToken ct)
    {
        var journeys = new List<ImportedJourney>();
        var named = new HashSet<Guid>();
        foreach (var id in innovationIds)
        {
            var events = await session.Events.FetchStreamAsync(id, token: ct);
            var imported = events.Where(e => e.Data is JourneyEvent).Select(e => new ImportedEvent(e.Id, (JourneyEvent)e.Data, $"{id}/{e.Version}")
            {
                RecordedAt = e.Timestamp, RecordedBy = e.UserName,
            }).ToList();
            named.UnionWith(imported.SelectMany(e => e.Fact.ReferencedOrganisations()).Select(o => o.Id));
            var name = (await session.LoadAsync<Journey>(id, ct))?.Name ?? id.ToString();
            journeys.Add(new ImportedJourney(id, id.ToString(), name, imported));
        }

        var tree = await OrganisationTree.WithParentsAsync(session, named, ct);
        var organisations = new List<ImportedOrganisation>();
        foreach (var organisation in tree.Values.OrderBy(o => o.Id))
        {
            var history = await session.Events.FetchStreamAsync(organisation.Id, token: ct);
            organisations.Add(new ImportedOrganisation(organisation.Id, organisation.Name, organisation.Kind, organisation.Id.ToString())
            {
                Code = organisation.Code, Recorded = [.. history.Select(e => e.Data)],
            });
        }

        // Parents before members, so a reader can register them in file order.
        return new ImportBatch(ExportFormat.Format, [.. organisations.OrderBy(o => o.References().Count())], journeys, []);
    }

    private static async Task WriteCsvAsync(TextWriter csv, IQuerySession session, IReadOnlyList<Guid> ids, CancellationToken ct)
    {
        await csv.WriteLineAsync("innovation_id,version,sequence,event_id,type,family,occurred_at,precision,recorded_at,recorded_by,basis,sources,caused_by,summary,data");
        foreach (var id in ids)
        {
            foreach (var e in await session.Events.FetchStreamAsync(id, token: ct))
            {
                if (e.Data is not JourneyEvent fact)
                {
                    continue;
                }

                var entry = EventCatalogue.Of(fact);
                string[] cells =
                [
                    id.ToString(), e.Version.ToString(CultureInfo.InvariantCulture), e.Sequence.ToString(CultureInfo.InvariantCulture), e.Id.ToString(),
                    entry.Name, entry.Family, fact.OccurredAt.Value, fact.OccurredAt.Precision.ToString().ToLowerInvariant(),
                    e.Timestamp.ToString("O", CultureInfo.InvariantCulture), e.UserName ?? "", fact.Provenance.Basis.ToString().ToLowerInvariant(),
                    string.Join(' ', fact.Provenance.Sources.Select(s => s.Id)), string.Join(' ', fact.CausedBy), fact.Summary ?? "",
                    JsonSerializer.Serialize(fact, fact.GetType(), Json.Options),
                ];
                await csv.WriteLineAsync(string.Join(',', cells.Select(Cell)));
            }
        }
    }

    private static string Cell(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
}
