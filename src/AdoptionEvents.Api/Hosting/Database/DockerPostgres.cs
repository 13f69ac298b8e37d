using DotNet.Testcontainers.Builders;
using Testcontainers.PostgreSql;

namespace AdoptionEvents.Hosting.Database;

/// <summary>PostgreSQL in a Docker container through Testcontainers, when a Docker engine answers.</summary>
/// <param name="volumeName">A named volume keeps the data across runs; null for a throw-away server.</param>
public sealed class DockerPostgres(string? volumeName) : IPostgresCandidate
{
    public const string Image = "postgres:15-alpine";

    public string Name => "Docker (Testcontainers)";

    public async Task<CandidateResult> TryProvisionAsync(CancellationToken ct)
    {
        var builder = new PostgreSqlBuilder(Image).WithDatabase("adoption_events");
        if (volumeName is not null)
        {
            builder = builder.WithVolumeMount(volumeName, "/var/lib/postgresql/data");
        }

        PostgreSqlContainer container;
        try
        {
            container = builder.Build();
        }
        catch (DockerUnavailableException e)
        {
            return CandidateResult.Declined($"no Docker engine answered ({FirstLine(e.Message)})");
        }

        try
        {
            await container.StartAsync(ct);
        }
        catch (Exception e) when (e is DockerUnavailableException or HttpRequestException or TimeoutException)
        {
            await container.DisposeAsync();
            return CandidateResult.Declined($"the container did not start ({FirstLine(e.Message)})");
        }

        var where = volumeName is null ? "a throw-away container" : $"a container with volume '{volumeName}'";
        return CandidateResult.Served(new ProvisionedDatabase(
            container.GetConnectionString(), $"Docker: {Image} in {where}", container.DisposeAsync));
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
