using AdoptionEvents.Hosting.Database;
using Microsoft.Extensions.Logging.Abstractions;

[assembly: AssemblyFixture(typeof(AdoptionEvents.IntegrationTests.Infrastructure.TestDatabase))]

namespace AdoptionEvents.IntegrationTests.Infrastructure;

/// <summary>
/// One PostgreSQL server for the whole test run: a connection string from
/// ADOPTIONEVENTS_TEST_CONNECTION_STRING, else a Testcontainers container, else a throw-away cluster
/// from the local binaries. Test classes isolate themselves in schemas of their own.
/// </summary>
public sealed class TestDatabase : IAsyncLifetime
{
    public const string EnvironmentVariable = "ADOPTIONEVENTS_TEST_CONNECTION_STRING";

    private ProvisionedDatabase? _database;

    public string ConnectionString => Database.ConnectionString;

    public string Source => Database.Source;

    private ProvisionedDatabase Database => _database ?? throw new InvalidOperationException("The test database is not provisioned yet.");

    public static string ThrowAwayDirectory() => Path.Combine(Path.GetTempPath(), $"adoption-events-test-{Guid.NewGuid():N}");

    public async ValueTask InitializeAsync()
    {
        IPostgresCandidate[] candidates =
        [
            new ConfiguredConnectionString(Environment.GetEnvironmentVariable(EnvironmentVariable), EnvironmentVariable),
            new DockerPostgres(volumeName: null),
            new LocalPostgresCluster(new LocalClusterOptions { Directory = ThrowAwayDirectory(), Ephemeral = true }),
        ];
        _database = await PostgresProvisioner.ProvisionAsync(candidates, NullLogger.Instance, CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
