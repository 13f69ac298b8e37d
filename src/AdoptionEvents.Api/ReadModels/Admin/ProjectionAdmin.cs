using System.Collections.Concurrent;
using AdoptionEvents.Hosting;
using AdoptionEvents.ReadModels.Building;
using Marten;
using Wolverine.Http;

namespace AdoptionEvents.ReadModels.Admin;

public sealed record RebuildJob(Guid Id, string Projection, string Status, long Target, long Applied, double Progress, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string? Error);

public sealed record ProjectionStatus(string Name, string Lifecycle, long? Sequence, long? Lag);

/// <summary>Rebuild jobs started from the API, kept in memory for their status resource.</summary>
public sealed class RebuildJobs(IServiceProvider services)
{
    public IServiceProvider Services => services;

    public ConcurrentDictionary<Guid, RebuildJob> Jobs { get; } = new();

    /// <summary>The running work of each job, so a caller in process (a test, the CLI) can await it.</summary>
    public ConcurrentDictionary<Guid, Task> Work { get; } = new();

    /// <summary>What cancels each running job (DELETE /api/admin/rebuilds/{id}); removed when it ends.</summary>
    public ConcurrentDictionary<Guid, CancellationTokenSource> Cancellations { get; } = new();
}

public static class ProjectionAdminEndpoints
{
    /// <summary>Every projection, then every subscription the daemon runs (the RabbitMQ relay, when a broker is configured), with position and lag.</summary>
    [WolverineGet("/api/admin/projections")]
    public static async Task<IReadOnlyList<ProjectionStatus>> List(IDocumentStore store, ProjectionLag lag, CancellationToken ct)
    {
        var sample = await lag.SampleAsync(ct);
        var options = ((StoreOptions)store.Options).Projections;
        ProjectionStatus Status(string name, string lifecycle)
        {
            var shard = sample.Shards.FirstOrDefault(s => s.Shard.StartsWith(name + ":", StringComparison.Ordinal));
            return new ProjectionStatus(name, lifecycle, shard?.Sequence, shard?.Lag);
        }

        var projections = options.All.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        return [
            .. options.All.Select(p => Status(p.Name, p.Lifecycle.ToString().ToLowerInvariant())),
            .. options.AllShards().Select(s => s.Name.Name).Where(name => !projections.Contains(name)).Distinct().Select(name => Status(name, "subscription"))];
    }

    /// <summary>Rebuilds one projection (async, or inline per journey) from the first event; 202 with the job to poll for progress.</summary>
    [WolverinePost("/api/admin/projections/{name}/rebuild")]
    public static IResult Rebuild(string name, IDocumentStore store, RebuildJobs jobs, TimeProvider clock, IHostApplicationLifetime lifetime, ILoggerFactory logs)
    {
        var projection = ((StoreOptions)store.Options).Projections.All.FirstOrDefault(p => p.Name == name);
        if (projection is null)
        {
            return Problems.For(new Refusal(404, "name", "known-projection",
                $"there is no projection '{name}' ({string.Join(", ", ((StoreOptions)store.Options).Projections.All.Select(p => p.Name))})"));
        }

        var builder = ActivatorUtilities.CreateInstance<ReadModelBuilder>(jobs.Services);
        if (!builder.CanBuild(name))
        {
            return Problems.For(Refusal.Conflict("name", "rebuildable-projection",
                $"'{name}' is not rebuilt here; these are: {string.Join(", ", builder.All)}"));
        }

        return Start(name, [name], jobs, clock, lifetime, logs);
    }

    /// <summary>
    /// Rebuilds every projection this node can rebuild (the async read models and the inline decision state and
    /// event index) in one pass over the events: what to run after a change to projection code. 202 with the job.
    /// </summary>
    [WolverinePost("/api/admin/projections/rebuild")]
    public static IResult RebuildAll(RebuildJobs jobs, TimeProvider clock, IHostApplicationLifetime lifetime, ILoggerFactory logs) =>
        Start(All, ActivatorUtilities.CreateInstance<ReadModelBuilder>(jobs.Services).All, jobs, clock, lifetime, logs);

    /// <summary>The label of a job that rebuilds every projection.</summary>
    public const string All = "all";

    private static IResult Start(string label, IReadOnlyList<string> projections, RebuildJobs jobs, TimeProvider clock, IHostApplicationLifetime lifetime, ILoggerFactory logs)
    {
        if (jobs.Jobs.Values.FirstOrDefault(j => j.FinishedAt is null && (j.Projection == All || label == All || j.Projection == label)) is { } running)
        {
            return Problems.For(Refusal.Conflict("name", "one-rebuild-at-a-time", $"'{running.Projection}' is being rebuilt already (job {running.Id})"));
        }

        var job = new RebuildJob(Guid.CreateVersion7(clock.GetUtcNow()), label, "running", 0, 0, 0, clock.GetUtcNow(), null, null);
        jobs.Jobs[job.Id] = job;
        var log = logs.CreateLogger("AdoptionEvents.Rebuild");
        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping);
        jobs.Cancellations[job.Id] = cancellation;
        jobs.Work[job.Id] = Task.Run(() => RunAsync(job, projections, jobs.Services, jobs, clock, log, cancellation.Token));
        return Results.Accepted($"/api/admin/rebuilds/{job.Id}", job);
    }

    [WolverineGet("/api/admin/rebuilds/{id}")]
    public static IResult Status(Guid id, RebuildJobs jobs) =>
        jobs.Jobs.TryGetValue(id, out var job) ? Results.Ok(job) : Problems.For(new Refusal(404, "id", "known-rebuild", $"there is no rebuild {id}"));

    /// <summary>
    /// Cancels a running rebuild and answers once it has stopped (200, status cancelled). A build is one transaction,
    /// so nothing it did stays: the read models, their marks and the inline documents are as they were, and the
    /// paused shards run again from their marks. A cancelled job answers the same again; 409 when the job had completed
    /// or failed (or completes before it stops).
    /// </summary>
    [WolverineDelete("/api/admin/rebuilds/{id}")]
    public static async Task<IResult> Cancel(Guid id, RebuildJobs jobs)
    {
        if (!jobs.Jobs.TryGetValue(id, out var job))
        {
            return Problems.For(new Refusal(404, "id", "known-rebuild", $"there is no rebuild {id}"));
        }

        if (jobs.Cancellations.TryGetValue(id, out var cancellation))
        {
            try
            {
                await cancellation.CancelAsync();
            }
            catch (ObjectDisposedException)
            {
                // It ended meanwhile.
            }
        }

        if (jobs.Work.TryGetValue(id, out var work))
        {
            await work;
        }

        job = jobs.Jobs[id];
        return job.Status == Cancelled
            ? Results.Ok(job)
            : Problems.For(Refusal.Conflict("id", "running-rebuild", $"rebuild {id} had {job.Status} already; only a running rebuild can be cancelled"));
    }

    /// <summary>The status of a rebuild stopped by DELETE /api/admin/rebuilds/{id}.</summary>
    public const string Cancelled = "cancelled";

    private static async Task RunAsync(RebuildJob job, IReadOnlyList<string> projections, IServiceProvider services, RebuildJobs jobs, TimeProvider clock, ILogger log, CancellationToken ct)
    {
        try
        {
            await RebuildAsync(projections, services, p => jobs.Jobs[job.Id] = job = job with
            {
                Target = p.Total, Applied = p.Folded, Progress = p.Total == 0 ? 0 : Math.Min(1, p.Folded / (double)p.Total),
            }, ct);
            jobs.Jobs[job.Id] = job with { Status = "completed", Applied = job.Target, Progress = 1, FinishedAt = clock.GetUtcNow() };
            log.LogInformation("Rebuilt {Projection}: {Events} events folded", job.Projection, job.Target);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Cancelled, or the API is stopping: the build's transaction rolled back.
            log.LogWarning("Rebuild of {Projection} cancelled after {Applied} of {Target} events: nothing it built was kept", job.Projection, job.Applied, job.Target);
            jobs.Jobs[job.Id] = job with { Status = Cancelled, FinishedAt = clock.GetUtcNow() };
        }
        catch (Exception e)
        {
            log.LogError(e, "Rebuild of {Projection} failed", job.Projection);
            jobs.Jobs[job.Id] = job with { Status = "failed", Error = e.Message, FinishedAt = clock.GetUtcNow() };
        }
        finally
        {
            if (jobs.Cancellations.TryRemove(job.Id, out var cancellation))
            {
                cancellation.Dispose();
            }
        }
    }

    /// <summary>
    /// Rebuilds the projections in one pass over the events (<see cref="ReadModelBuilder"/>): their shards on
    /// this node's daemon pause meanwhile and resume from the mark the rebuild stored.
    /// </summary>
    public static Task<BuildReport> RebuildAsync(IReadOnlyCollection<string> projections, IServiceProvider services, Action<BuildProgress>? progress, CancellationToken ct) =>
        ActivatorUtilities.CreateInstance<ReadModelBuilder>(services).RebuildAsync(projections, progress, ct);
}
