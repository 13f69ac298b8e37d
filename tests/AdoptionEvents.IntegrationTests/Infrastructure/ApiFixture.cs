using Alba;
using Marten;
using Marten.Events;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Wolverine;

namespace AdoptionEvents.IntegrationTests.Infrastructure;

/// <summary>
/// The API in process (Alba) on the shared test server, in a schema pair of its own
/// (events and documents, plus "_wolverine"), dropped when the test class ends.
/// </summary>
public class ApiFixture(TestDatabase database) : IAsyncLifetime
{
    public string Schema { get; } = $"t_{Guid.NewGuid():N}"[..14];

    public IAlbaHost Host { get; private set; } = null!;

    public IDocumentStore Store => Host.Services.GetRequiredService<IDocumentStore>();

    public TestDatabase Database => database;

    public ApiClient Client => new(Host.Server.CreateClient());

    /// <summary>Waits, deterministically, until every async projection has applied every event appended so far.</summary>
    public Task CatchUpAsync() => Host.ForceAllMartenDaemonActivityToCatchUpAsync(TestContext.Current.CancellationToken);

    /// <summary>The demo journeys stay out of test stores unless a fixture asks for them.</summary>
    protected virtual bool LoadDemoWhenEmpty => false;

    public virtual async ValueTask InitializeAsync()
    {
        Host = await AlbaHost.For<Program>(builder =>
        {
            builder.UseSetting("ConnectionStrings:AdoptionEvents", database.ConnectionString);
            builder.UseSetting("Database:Schema", Schema);
            builder.UseSetting("Demo:LoadWhenEmpty", LoadDemoWhenEmpty ? "true" : "false");
            foreach (var (key, value) in Settings)
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureServices(services =>
            {
                if (!KeepExternalTransports)
                {
                    services.DisableAllExternalWolverineTransports();
                }

                services.RunWolverineInSoloMode();
            });
        });
    }

    /// <summary>Configuration a test class needs beyond the defaults.</summary>
    protected virtual IEnumerable<(string Key, string Value)> Settings => [];

    /// <summary>True for a fixture that tests a broker (RabbitMQ): the others run without external transports.</summary>
    protected virtual bool KeepExternalTransports => false;

    public virtual async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        await Host.DisposeAsync();
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"drop schema if exists {Schema} cascade; drop schema if exists {Schema}_wolverine cascade;", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
