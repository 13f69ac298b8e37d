using AdoptionEvents.Hosting.Database;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Daemon.Coordination;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
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

    private sealed class ProjectionDaemonHealthCheck(IServiceProvider services, IDocumentStore store) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var coordinator = services.GetService<IProjectionCoordinator>();
            if (coordinator is null)
            {
                // Wolverine-managed distribution: the projections run as Wolverine agents on some node.
                return Task.FromResult(HealthCheckResult.Healthy("projections distributed by Wolverine"));
            }

            if (!((StoreOptions)store.Options).Projections.All.Any(p => p.Lifecycle == ProjectionLifecycle.Async))
            {
                return Task.FromResult(HealthCheckResult.Healthy("no async projections to run"));
            }

            var daemon = coordinator.DaemonForMainDatabase();
            return Task.FromResult(daemon.IsRunning
                ? HealthCheckResult.Healthy("async daemon running")
                : HealthCheckResult.Unhealthy("async daemon not running"));
        }
    }
}
