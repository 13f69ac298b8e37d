using System.Net.Http.Headers;
using AdoptionEvents.Hosting;
using AdoptionEvents.Hosting.Security;
using AdoptionEvents.Integration.Webhooks;
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

    /// <summary>A client with an administrator's token: every endpoint answers it.</summary>
    public ApiClient Client => ClientAs(Roles.Admin);

    public const string AdminName = "test-admin";

    /// <summary>The development key every test host accepts (the tests run in the Development environment).</summary>
    public const string SigningKey = "adoption-events-tests-signing-key-0123456789";

    /// <summary>The key webhook secrets are sealed with in tests (base64 of 32 bytes).</summary>
    public const string WebhookSecretsKey = "YWRvcHRpb24tZXZlbnRzLXRlc3RzLXdlYmhvb2trZXk=";

    /// <summary>A client whose token carries this role and these organisations.</summary>
    public ApiClient ClientAs(string role, params Guid[] organisations) =>
        WithToken(Token(role == Roles.Admin ? AdminName : $"test-{role}", [role], organisations, TimeSpan.FromHours(1)));

    /// <summary>A client that sends no token.</summary>
    public ApiClient Anonymous => new(Host.Server.CreateClient());

    public ApiClient WithToken(string token)
    {
        var http = Host.Server.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new ApiClient(http);
    }

    public string Token(string name, IEnumerable<string> roles, IEnumerable<Guid> organisations, TimeSpan lifetime, Microsoft.IdentityModel.Tokens.SecurityKey? signWith = null) =>
        Host.Services.GetRequiredService<DevelopmentTokenSource>().Tokens!
            .Mint(name, roles, organisations, DateTimeOffset.UtcNow, lifetime, signWith);

    /// <summary>
    /// Writes an event row around the product, as damage or a bad migration would: version 2 of the stream, with
    /// this stored type name and JSON body, and no CLR type.
    /// </summary>
    public async Task InsertRawEventAsync(Guid streamId, string type, string json)
    {
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var insert = new NpgsqlCommand(
            $"insert into {Schema}.mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, is_archived) " +
            $"values (nextval('{Schema}.mt_events_sequence'), gen_random_uuid(), $1, 2, $2::jsonb, $3, now(), '*DEFAULT*', null, false)", connection)
        {
            Parameters = { new() { Value = streamId }, new() { Value = json }, new() { Value = type } },
        };
        await insert.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>
    /// Runs one statement of SQL on a connection of its own, the schema written as {schema}; returns its first value
    /// when that is a number.
    /// </summary>
    public async Task<long?> ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql.Replace("{schema}", Schema, StringComparison.Ordinal), connection);
        return await command.ExecuteScalarAsync(TestContext.Current.CancellationToken) is long value ? value : null;
    }

    /// <summary>
    /// Plays a database from before a change: the start-up upgrade finds nothing to do; <paramref name="olderShape"/> takes the stored
    /// documents back to their older shape; then the upgrade sees it, runs, and finds nothing left to do.
    /// </summary>
    public async Task UpgradeFromOlderAsync<TUpgrade>(string olderShape) where TUpgrade : AdoptionEvents.Journeys.StartupUpgrade
    {
        var ct = TestContext.Current.CancellationToken;
        var upgrade = ActivatorUtilities.CreateInstance<TUpgrade>(Host.Services);
        (await upgrade.NeededAsync(ct)).ShouldBeFalse("the documents are in their current shape");
        await ExecuteAsync(olderShape);
        (await upgrade.NeededAsync(ct)).ShouldBeTrue();
        await upgrade.StartAsync(ct);
        (await upgrade.NeededAsync(ct)).ShouldBeFalse();
    }

    /// <summary>
    /// Takes an event sequence number that no event will have, as an append that rolled back does, and sets the
    /// daemon's high-water mark just below it, where the daemon leaves it while it waits to see whether the number is
    /// filled (and where it is on a database whose daemon has not run since). Returns the number.
    /// </summary>
    public async Task<long> LeaveAHoleAsync()
    {
        var hole = (await ExecuteAsync("select nextval('{schema}.mt_events_sequence')"))!.Value;
        await HighWaterMarkAsync(hole - 1);
        return hole;
    }

    /// <summary>Sets the daemon's stored high-water mark.</summary>
    public Task HighWaterMarkAsync(long mark) =>
        ExecuteAsync($"update {{schema}}.mt_event_progression set last_seq_id = {mark} where name = 'HighWaterMark'");

    /// <summary>
    /// Waits, deterministically, until every async projection has applied every event appended so far. Marten returns
    /// what went wrong on the way (a shard that failed, a catch-up that timed out) instead of throwing it: a test that
    /// went on would fail later on a missing document, far from the cause, so this throws it.
    /// </summary>
    public async Task CatchUpAsync()
    {
        var errors = await Host.ForceAllMartenDaemonActivityToCatchUpAsync(TestContext.Current.CancellationToken);
        if (errors.Count > 0)
        {
            throw new AggregateException("the async daemon did not catch up", errors);
        }
    }

    /// <summary>
    /// How long the daemon holds at a gap that a transaction still open might fill (<see cref="StuckGapSkip"/>). Marten
    /// looks for such transactions in the whole database, and the test classes share one and run side by side: a
    /// transaction another class holds open (some do on purpose: a reader holding a table, a row lock) counts against
    /// this class's gaps. With the product's five minutes a class would wait that long at a gap a test left on purpose.
    /// </summary>
    public const string StuckGapCap = "00:00:10";

    /// <summary>The demo journeys stay out of test stores unless a fixture asks for them.</summary>
    protected virtual bool LoadDemoWhenEmpty => false;

    public virtual async ValueTask InitializeAsync()
    {
        Host = await AlbaHost.For<Program>(builder =>
        {
            builder.UseSetting("ConnectionStrings:AdoptionEvents", database.ConnectionString);
            builder.UseSetting("Database:Schema", Schema);
            builder.UseSetting("Demo:LoadWhenEmpty", LoadDemoWhenEmpty ? "true" : "false");
            builder.UseSetting(DevelopmentTokens.Setting, SigningKey);
            builder.UseSetting(WebhookSecrets.Setting, WebhookSecretsKey);
            builder.UseSetting("RateLimiting:PermitLimit", "1000000");
            builder.UseSetting("Integration:Webhooks:AllowPrivateTargets", "true");
            builder.UseSetting(StuckGapSkip.Setting, StuckGapCap);
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
