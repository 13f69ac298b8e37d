using AdoptionEvents.Hosting.Database;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Daemon.Coordination;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using AdoptionEvents.ReadModels.Admin;
using Npgsql;

namespace AdoptionEvents.Hosting;

/// <summary>/health/live answers while the process runs; /health/ready when PostgreSQL answers and the projection daemon runs.</summary>
public static class Health
{
    private const string Ready = "ready";

    public static IServiceCollection AddHealth(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<PostgresHealthCheck>("postgresql", tags: [Ready])
            .AddCheck<ProjectionDaemonHealthCheck>("projection-daemon", tags: [Ready]);
        return services;
    }

    public static WebApplication MapHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains(Ready),
            ResponseWriter = WriteReport,
        });
        return app;
    }

    private static Task WriteReport(HttpContext context, HealthReport report) =>
        context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.Select(e => new
            {
                name = e.Key,
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                data = e.Value.Data,
            }),
        });

    private sealed class PostgresHealthCheck(ProvisionedDatabase database) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var connection = new NpgsqlConnection(database.ConnectionString);
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("select 1", connection);
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy(database.Source);
            }
            catch (NpgsqlException e)
            {
                return HealthCheckResult.Unhealthy("PostgreSQL does not answer", e);
            }
        }
    }

    /// <summary>
    /// Healthy when the daemon runs (on a Solo node) and every async projection is within
    /// Projections:MaxHealthyLag events of the newest event; Degraded when one is behind or stopped on an
    /// event it could not apply (Marten logs that event's id); Unhealthy when a Solo daemon is not running. A shard
    /// stopped on such an event is reported as that before the daemon's state: once every shard has stopped, the daemon
    /// stops its high-water detection too and no longer counts as running, though nothing else is wrong with it.
    /// </summary>
    private sealed class ProjectionDaemonHealthCheck(IServiceProvider services, IDocumentStore store, ProjectionLag lag, IConfiguration configuration) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (!((StoreOptions)store.Options).Projections.All.Any(p => p.Lifecycle == ProjectionLifecycle.Async))
            {
                return HealthCheckResult.Healthy("no async projections to run");
            }

            var sample = await lag.SampleAsync(cancellationToken);
            var data = sample.Shards.ToDictionary(s => s.Shard, s => (object)s.Lag);
            var distribution = configuration.GetValue("Projections:Daemon", DaemonDistribution.Solo);
            var daemon = services.GetService<IProjectionCoordinator>()?.DaemonForMainDatabase();
            if (sample.Shards.Where(s => s.Stuck).Select(s => $"{s.Shard} at event {s.Sequence}").ToList() is { Count: > 0 } stuck)
            {
                return HealthCheckResult.Degraded($"stopped on an event it cannot apply (see the log for it): {string.Join(", ", stuck)}", data: data);
            }

            if (daemon is { IsRunning: false } && distribution == DaemonDistribution.Solo)
            {
                return HealthCheckResult.Unhealthy("async daemon not running", data: data);
            }

            if (daemon is not null && daemon.HasAnyPaused())
            {
                return HealthCheckResult.Degraded("a projection stopped on an event it could not apply (see the log for the event id)", data: data);
            }

            if (distribution == DaemonDistribution.None)
            {
                return HealthCheckResult.Healthy("this node runs no projections (Projections:Daemon=None): another node must", data);
            }

            var maxLag = configuration.GetValue("Projections:MaxHealthyLag", 10_000L);
            return sample.MaxLag > maxLag
                ? HealthCheckResult.Degraded($"projections are {sample.MaxLag} events behind (limit {maxLag})", data: data)
                : HealthCheckResult.Healthy(distribution == DaemonDistribution.Distributed || daemon is null ? "projections distributed by Wolverine" : "async daemon running", data);
        }
    }
}
