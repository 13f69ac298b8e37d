using System.Collections.Concurrent;
using AdoptionEvents.Hosting;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Wolverine.Http;

namespace AdoptionEvents.ReadModels.Admin;

public sealed record RebuildJob(Guid Id, string Projection, string Status, long Target, long Applied, double Progress, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string? Error);

public sealed record ProjectionStatus(string Name, string Lifecycle, long? Sequence, long? Lag);

/// <summary>Rebuild jobs started from the API, kept in memory for their status resource.</summary>
public sealed class RebuildJobs(IServiceProvider services)
{
    public ConcurrentDictionary<Guid, RebuildJob> Jobs { get; } = new();

    /// <summary>The running work of each job, so a caller in process (a test, the CLI) can await it.</summary>
    public ConcurrentDictionary<Guid, Task> Work { get; } = new();

    /// <summary>The daemon running on this node, if this node runs one (none under Wolverine-managed distribution).</summary>
    public IProjectionDaemon? LocalDaemon => services.GetService<Marten.Events.Daemon.Coordination.IProjectionCoordinator>()?.DaemonForMainDatabase();
}

public static class ProjectionAdminEndpoints
{
    [WolverineGet("/api/admin/projections")]
    public static async Task<IReadOnlyList<ProjectionStatus>> List(IDocumentStore store, ProjectionLag lag, CancellationToken ct)
    {
        var sample = await lag.SampleAsync(ct);
        return [.. ((StoreOptions)store.Options).Projections.All.Select(p =>
        {
            var shard = sample.Shards.FirstOrDefault(s => s.Shard.StartsWith(p.Name + ":", StringComparison.Ordinal));
            return new ProjectionStatus(p.Name, p.Lifecycle.ToString().ToLowerInvariant(), shard?.Sequence, shard?.Lag);
        })];
    }

    /// <summary>Rebuilds one async projection from the first event; 202 with the job to poll for progress.</summary>
    [WolverinePost("/api/admin/projections/{name}/rebuild")]
    public static IResult Rebuild(string name, IDocumentStore store, RebuildJobs jobs, TimeProvider clock, IHostApplicationLifetime lifetime, ILoggerFactory logs)
    {
        var projection = ((StoreOptions)store.Options).Projections.All.FirstOrDefault(p => p.Name == name);
        if (projection is null)
        {
            return Problems.For(new Refusal(404, "name", "known-projection",
                $"there is no projection '{name}' ({string.Join(", ", ((StoreOptions)store.Options).Projections.All.Select(p => p.Name))})"));
        }

        if (projection.Lifecycle != ProjectionLifecycle.Async)
        {
            return Problems.For(Refusal.Conflict("name", "async-projection", $"'{name}' is {projection.Lifecycle.ToString().ToLowerInvariant()}: only async projections are rebuilt (inline ones are written with their events)"));
        }

        if (jobs.Jobs.Values.Any(j => j.Projection == name && j.FinishedAt is null))
        {
            return Problems.For(Refusal.Conflict("name", "one-rebuild-at-a-time", $"'{name}' is being rebuilt already"));
        }

        var job = new RebuildJob(Guid.CreateVersion7(clock.GetUtcNow()), name, "running", 0, 0, 0, clock.GetUtcNow(), null, null);
        jobs.Jobs[job.Id] = job;
        var log = logs.CreateLogger("AdoptionEvents.Rebuild");
        jobs.Work[job.Id] = Task.Run(() => RunAsync(job, store, jobs, clock, log, lifetime.ApplicationStopping));
        return Results.Accepted($"/api/admin/rebuilds/{job.Id}", job);
    }

    [WolverineGet("/api/admin/rebuilds/{id}")]
    public static IResult Status(Guid id, RebuildJobs jobs) =>
        jobs.Jobs.TryGetValue(id, out var job) ? Results.Ok(job) : Problems.For(new Refusal(404, "id", "known-rebuild", $"there is no rebuild {id}"));

    private static async Task RunAsync(RebuildJob job, IDocumentStore store, RebuildJobs jobs, TimeProvider clock, ILogger log, CancellationToken ct)
    {
        try
        {
            var target = (await store.Storage.Database.FetchEventStoreStatistics(ct)).EventSequenceNumber;
            jobs.Jobs[job.Id] = job = job with { Target = target };
            using var progress = new PeriodicTimer(TimeSpan.FromMilliseconds(500), clock);
            var running = RebuildAsync(job.Projection, store, jobs.LocalDaemon, ct);
            while (!running.IsCompleted && await progress.WaitForNextTickAsync(ct))
            {
                var shards = await store.Advanced.AllProjectionProgress(token: ct);
                var applied = shards.Where(s => s.ShardName.StartsWith(job.Projection + ":", StringComparison.Ordinal)).Select(s => s.Sequence).DefaultIfEmpty(0).Min();
                jobs.Jobs[job.Id] = job = job with { Applied = applied, Progress = target == 0 ? 1 : Math.Min(1, applied / (double)target) };
            }

            await running;
            jobs.Jobs[job.Id] = job with { Status = "completed", Applied = target, Progress = 1, FinishedAt = clock.GetUtcNow() };
            log.LogInformation("Rebuilt {Projection} up to event {Sequence}", job.Projection, target);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(e, "Rebuild of {Projection} failed", job.Projection);
            jobs.Jobs[job.Id] = job with { Status = "failed", Error = e.Message, FinishedAt = clock.GetUtcNow() };
        }
    }

    /// <summary>On a node that runs the daemon, the running daemon rebuilds (pausing the shard); elsewhere a daemon of its own.</summary>
    public static async Task RebuildAsync(string projection, IDocumentStore store, IProjectionDaemon? local, CancellationToken ct)
    {
        if (local is { IsRunning: true } running)
        {
            await running.RebuildProjectionAsync(projection, TimeSpan.FromMinutes(30), ct);
            return;
        }

        using var daemon = await store.BuildProjectionDaemonAsync();
        await daemon.RebuildProjectionAsync(projection, TimeSpan.FromMinutes(30), ct);
    }
}
