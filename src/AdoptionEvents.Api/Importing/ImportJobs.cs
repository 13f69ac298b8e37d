using System.Collections.Concurrent;
using System.Diagnostics;
using AdoptionEvents.Hosting;
using AdoptionEvents.Hosting.Http;
using Microsoft.AspNetCore.Http.Features;
using Wolverine.Http;

namespace AdoptionEvents.Importing;

public enum ImportJobStatus
{
    Queued,
    Running,
    Succeeded,
    Refused,
    PartlyWritten,
    Failed,
}

/// <summary>An import job as GET /api/imports/{id} shows it: status, progress, and the report once done.</summary>
public sealed record ImportJobView(
    Guid Id,
    ImportJobStatus Status,
    string Source,
    string RequestedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt,
    ImportProgress Progress,
    ImportReport? Report,
    string? Error);

/// <summary>
/// Runs imports in the background, one at a time (deterministic ids make two imports of one file race
/// for the same streams), and keeps each job's status in memory: a restart forgets the jobs, never the
/// data they wrote.
/// </summary>
public sealed class ImportJobs(Importer importer, TimeProvider clock, IHostApplicationLifetime lifetime, ILogger<ImportJobs> logger) : IDisposable
{
    private readonly ConcurrentDictionary<Guid, Job> _jobs = new();
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    public Guid Start(byte[] content, string source, ImportOptions options)
    {
        var job = new Job(Guid.CreateVersion7(clock.GetUtcNow()), source, options.User, clock.GetUtcNow());
        _jobs[job.Id] = job;
        job.Completion = Task.Run(() => RunAsync(job, content, options with { CorrelationId = options.CorrelationId ?? $"import-{job.Id}" }), CancellationToken.None);
        return job.Id;
    }

    public ImportJobView? Find(Guid id) => _jobs.TryGetValue(id, out var job) ? job.View() : null;

    public IReadOnlyList<ImportJobView> All() => [.. _jobs.Values.OrderByDescending(j => j.CreatedAt).Select(j => j.View())];

    /// <summary>Completes when the job has finished (for tests and the demo loader; clients poll the status resource).</summary>
    public Task WaitAsync(Guid id) => _jobs.TryGetValue(id, out var job) ? job.Completion : Task.CompletedTask;

    private async Task RunAsync(Job job, byte[] content, ImportOptions options)
    {
        var ct = lifetime.ApplicationStopping;
        try
        {
            await _oneAtATime.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            job.Error = "the API stopped before the import started";
            job.Status = ImportJobStatus.Failed;
            return;
        }

        try
        {
            job.Status = ImportJobStatus.Running;
            var reading = Stopwatch.StartNew();
            using var stream = new MemoryStream(content);
            var batch = ExportFormat.ReadAny(stream);
            var read = Math.Round(reading.Elapsed.TotalSeconds, 2);
            job.Progress = job.Progress with { JourneysTotal = batch.Journeys.Count, EventsTotal = batch.EventCount };
            var report = await importer.ImportAsync(batch, options, p => job.Progress = p, ct);
            job.Report = report with { PhaseSeconds = new Dictionary<string, double>(report.PhaseSeconds) { ["read"] = read } };
            job.Status = report.Outcome switch
            {
                ImportOutcome.Succeeded => ImportJobStatus.Succeeded,
                ImportOutcome.Refused => ImportJobStatus.Refused,
                _ => ImportJobStatus.PartlyWritten,
            };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Import job {JobId} ({Source}) failed", job.Id, job.Source);
            job.Error = e.Message;
            job.Status = ImportJobStatus.Failed;
        }
        finally
        {
            job.FinishedAt = clock.GetUtcNow();
            _oneAtATime.Release();
        }
    }

    public void Dispose() => _oneAtATime.Dispose();

    private sealed class Job(Guid id, string source, string user, DateTimeOffset createdAt)
    {
        public Guid Id => id;

        public string Source => source;

        public DateTimeOffset CreatedAt => createdAt;

        public volatile ImportJobStatus Status = ImportJobStatus.Queued;

        public ImportProgress Progress { get; set; } = new("queued", 0, 0, 0, 0, 0);

        public ImportReport? Report { get; set; }

        public string? Error { get; set; }

        public DateTimeOffset? FinishedAt { get; set; }

        public Task Completion { get; set; } = Task.CompletedTask;

        public ImportJobView View() => new(id, Status, source, user, createdAt, FinishedAt, Progress, Report, Error);
    }
}

/// <summary>
/// Start an import: the body is a King's Fund journeys file (JSON) or an export (NDJSON). Answers 202
/// with Location /api/imports/{id}; the whole file is validated before anything is written.
/// Query: bulk=auto|always|never (the COPY path for new journeys; auto above 2,000 new events).
/// </summary>
public static class StartImportEndpoint
{
    [WolverinePost("/api/imports")]
    public static async Task<IResult> Post(HttpContext http, ImportJobs jobs, IConfiguration configuration, string? bulk, CancellationToken ct)
    {
        var mode = BulkMode.Auto;
        if (bulk is not null && !Enum.TryParse(bulk, ignoreCase: true, out mode))
        {
            return Problems.For(Refusal.BadInput("bulk", "vocabulary", $"bulk is auto, always or never, not '{bulk}'"));
        }

        var limit = configuration.GetValue("Import:MaxBytes", 1024L * 1024 * 1024);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }

        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, ct);
        if (buffer.Length == 0)
        {
            return Problems.For(Refusal.BadInput("body", "required", "send the file as the request body (JSON or NDJSON)"));
        }

        var user = RequestAudit.UserOf(http);
        var id = jobs.Start(buffer.ToArray(), $"POST /api/imports ({buffer.Length} bytes)", new ImportOptions(user, mode));
        return Results.Accepted($"/api/imports/{id}", jobs.Find(id));
    }
}

public static class ImportStatusEndpoint
{
    /// <summary>An import's status, progress and per-journey report (problems name line or event id, field and rule).</summary>
    [WolverineGet("/api/imports/{id}")]
    public static IResult Get(Guid id, ImportJobs jobs) =>
        jobs.Find(id) is { } view ? Results.Ok(view) : Problems.For(new Refusal(404, "id", "known-import", $"there is no import {id} (jobs are kept until the API restarts)"));

    /// <summary>Every import since the API started, newest first.</summary>
    [WolverineGet("/api/imports")]
    public static IReadOnlyList<ImportJobView> List(ImportJobs jobs) => jobs.All();
}
