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

    /// <summary>Stopped on request (DELETE): what was written before the stop stays whole; see the report.</summary>
    Cancelled,
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

    /// <summary>Queues the import of <paramref name="content"/>, which the job disposes once it has run.</summary>
    public Guid Start(ImportUpload content, string source, ImportOptions options)
    {
        var job = new Job(Guid.CreateVersion7(clock.GetUtcNow()), source, options.User, clock.GetUtcNow());
        _jobs[job.Id] = job;
        job.Completion = Task.Run(() => RunAsync(job, content, options with { CorrelationId = options.CorrelationId ?? $"import-{job.Id}", Stop = job.Stop }), CancellationToken.None);
        return job.Id;
    }

    /// <summary>
    /// Asks a queued or running job to stop at its next safe point (a queued one never starts). Null when there is no
    /// such job; the refusal when it has already finished.
    /// </summary>
    public (ImportJobView? View, Refusal? Refusal) Cancel(Guid id)
    {
        if (!_jobs.TryGetValue(id, out var job))
        {
            return (null, null);
        }

        if (job.Status is not (ImportJobStatus.Queued or ImportJobStatus.Running))
        {
            return (job.View(), Refusal.Conflict("id", "unfinished-import", $"import {id} has finished ({job.Status.ToString().ToLowerInvariant()}): there is nothing to cancel"));
        }

        job.Stop.Request();
        logger.LogInformation("Import job {JobId} ({Source}): cancellation requested", job.Id, job.Source);
        return (job.View(), null);
    }

    public ImportJobView? Find(Guid id) => _jobs.TryGetValue(id, out var job) ? job.View() : null;

    public IReadOnlyList<ImportJobView> All() => [.. _jobs.Values.OrderByDescending(j => j.CreatedAt).Select(j => j.View())];

    /// <summary>Completes when the job has finished (for tests and the demo loader; clients poll the status resource).</summary>
    public Task WaitAsync(Guid id) => _jobs.TryGetValue(id, out var job) ? job.Completion : Task.CompletedTask;

    private async Task RunAsync(Job job, ImportUpload content, ImportOptions options)
    {
        using var upload = content;
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
            if (job.Stop.Requested)
            {
                job.Status = ImportJobStatus.Cancelled;
                job.Progress = job.Progress with { Phase = "cancelled" };
                return;
            }

            job.Status = ImportJobStatus.Running;
            var reading = Stopwatch.StartNew();
            ImportBatch batch;
            using (var stream = upload.Open())
            {
                batch = ExportFormat.ReadAny(stream);
            }

            var read = Math.Round(reading.Elapsed.TotalSeconds, 2);
            job.Progress = job.Progress with { JourneysTotal = batch.Journeys.Count, EventsTotal = batch.EventCount };
            var report = await importer.ImportAsync(batch, options, p => job.Progress = p, ct);
            job.Report = report with { PhaseSeconds = new Dictionary<string, double>(report.PhaseSeconds) { ["read"] = read } };
            job.Status = report.Outcome switch
            {
                ImportOutcome.Succeeded => ImportJobStatus.Succeeded,
                ImportOutcome.Refused => ImportJobStatus.Refused,
                ImportOutcome.Cancelled => ImportJobStatus.Cancelled,
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

        public StopRequest Stop { get; } = new();

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
        // The server's limit just above it, so the copy below meets the limit first and answers with the setting's name.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit + 1;
        }

        // Spooled to a file, not memory: a file over the limit stops the copy (413) and leaves nothing behind.
        if (await ImportUpload.SpoolAsync(http.Request.Body, SpoolDirectory(configuration), limit, ct) is not { } upload)
        {
            return Problems.For(new Refusal(StatusCodes.Status413PayloadTooLarge, "body", "max-size", $"the file is larger than {limit:N0} bytes (Import:MaxBytes)"));
        }

        if (upload.Length == 0)
        {
            upload.Dispose();
            return Problems.For(Refusal.BadInput("body", "required", "send the file as the request body (JSON or NDJSON)"));
        }

        var user = RequestAudit.UserOf(http);
        var id = jobs.Start(upload, $"POST /api/imports ({upload.Length} bytes)", new ImportOptions(user, mode));
        return Results.Accepted($"/api/imports/{id}", jobs.Find(id));
    }

    /// <summary>Where uploads wait for their job (<c>Import:SpoolDirectory</c>; default a folder in the system's temporary directory).</summary>
    public static string SpoolDirectory(IConfiguration configuration) =>
        configuration["Import:SpoolDirectory"] is { Length: > 0 } configured ? configured : Path.Combine(Path.GetTempPath(), "adoption-events-imports");
}

public static class ImportStatusEndpoint
{
    /// <summary>An import's status, progress and per-journey report (problems name line or event id, field and rule).</summary>
    [WolverineGet("/api/imports/{id}")]
    public static IResult Get(Guid id, ImportJobs jobs) =>
        jobs.Find(id) is { } view ? Results.Ok(view) : Problems.For(Unknown(id));

    /// <summary>
    /// Cancels an import: a queued one never starts; a running one stops at its next safe point (between journeys, or
    /// between chunks of the bulk path), what it wrote by then whole and its read models built. 202 with the job as it
    /// stands (poll it until "cancelled"); 409 once it has finished. Importing the same file again writes the rest.
    /// </summary>
    [WolverineDelete("/api/imports/{id}")]
    public static IResult Delete(Guid id, ImportJobs jobs) => jobs.Cancel(id) switch
    {
        (null, _) => Problems.For(Unknown(id)),
        (_, { } refusal) => Problems.For(refusal),
        (var view, null) => Results.Accepted($"/api/imports/{id}", view),
    };

    private static Refusal Unknown(Guid id) => new(404, "id", "known-import", $"there is no import {id} (jobs are kept until the API restarts)");

    /// <summary>Every import since the API started, newest first.</summary>
    [WolverineGet("/api/imports")]
    public static IReadOnlyList<ImportJobView> List(ImportJobs jobs) => jobs.All();
}
