using System.Data.Common;
using System.Net.Sockets;
using Npgsql;

namespace AdoptionEvents.Hosting.Database;

/// <summary>Configuration of the database: section "Database" and the connection string "AdoptionEvents".</summary>
public sealed record DatabaseSettings
{
    public const string ConnectionStringName = "AdoptionEvents";

    /// <summary>auto (connection string, then Docker, then local binaries), docker or local.</summary>
    public string Provider { get; init; } = "auto";

    /// <summary>Schema of the event store and documents; Wolverine's tables go to "{Schema}_wolverine".</summary>
    public string Schema { get; init; } = "adoption";

    public LocalDatabaseSettings Local { get; init; } = new();

    /// <summary>Named Docker volume that keeps the embedded container's data across runs.</summary>
    public string DockerVolume { get; init; } = "adoption-events-pgdata";

    /// <summary>
    /// Statements Npgsql keeps prepared per connection (its Max Auto Prepare) when the connection string sets
    /// none; 0 turns automatic preparation off (needed behind a pooler in transaction mode).
    /// </summary>
    public int MaxAutoPrepare { get; init; } = 100;

    /// <summary>
    /// Whether a pooled connection is reset (Npgsql's RESET ALL, UNLISTEN, advisory unlock, DISCARD TEMP and
    /// the rest, sent ahead of its next statement) each time it goes back to the pool, when the connection
    /// string does not say (its No Reset On Close). On by default. Off saves PostgreSQL about 0.04 ms per
    /// command at 1,000 commands a second (2-3 resets per group commit), and the store's own code leaves no
    /// session state behind (settings are SET LOCAL, temporary tables drop on commit, a session lock is released
    /// before its connection is closed). It stays on because one run of the test suite with it off saw the async
    /// daemon wait minutes at gaps in the event sequence (README "Performance"): most likely a transaction of
    /// another test class, which Marten counts against a gap database-wide, but not proven.
    /// </summary>
    public bool ResetConnectionsOnReturn { get; init; } = true;

    /// <summary>
    /// The connection string the store uses: the provisioned one, with <see cref="MaxAutoPrepare"/> and
    /// <see cref="ResetConnectionsOnReturn"/> applied. Each command runs the same few statements (append,
    /// upsert the decision state, the daemon's loads and upserts); prepared, PostgreSQL parses and plans each
    /// once per connection instead of on every call.
    /// </summary>
    public string ForStore(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxAutoPrepare == 0 && MaxAutoPrepare > 0)
        {
            (builder.MaxAutoPrepare, builder.AutoPrepareMinUsages) = (MaxAutoPrepare, 2);
        }

        // Npgsql's builder answers ContainsKey for any keyword it knows: the connection string's own keys say whether it was set.
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!given.ContainsKey("No Reset On Close") && !given.ContainsKey("NoResetOnClose"))
        {
            builder.NoResetOnClose = !ResetConnectionsOnReturn;
        }

        return builder.ConnectionString;
    }
}

public sealed record LocalDatabaseSettings
{
    /// <summary>Folder of the private cluster, relative to the content root unless absolute.</summary>
    public string Directory { get; init; } = ".data/postgres";

    public int Port { get; init; }

    public string? BinDirectory { get; init; }
}

public static class DatabaseSetup
{
    public static DatabaseSettings ReadDatabaseSettings(this IConfiguration configuration) =>
        configuration.GetSection("Database").Get<DatabaseSettings>() ?? new DatabaseSettings();

    /// <summary>
    /// Registers the database the application runs on. It is provisioned when first needed (at host
    /// start), so commands that need no database (help, codegen) start none; it is stopped with the host.
    /// </summary>
    public static IServiceCollection AddProvisionedDatabase(
        this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var settings = configuration.ReadDatabaseSettings();
        var connectionString = configuration.GetConnectionString(DatabaseSettings.ConnectionStringName);
        services.AddSingleton(sp =>
        {
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("AdoptionEvents.Database");
            var candidates = Candidates(settings, connectionString, environment.ContentRootPath);
            var database = PostgresProvisioner.ProvisionAsync(candidates, logger, CancellationToken.None).GetAwaiter().GetResult();
            VerifyConnectionAsync(database.ConnectionString, CancellationToken.None).GetAwaiter().GetResult();
            return database;
        });
        return services;
    }

    public static IReadOnlyList<IPostgresCandidate> Candidates(DatabaseSettings settings, string? connectionString, string contentRoot)
    {
        var local = new LocalPostgresCluster(new LocalClusterOptions
        {
            Directory = Path.GetFullPath(settings.Local.Directory, contentRoot),
            Port = settings.Local.Port,
            BinDirectory = settings.Local.BinDirectory,
        });
        var docker = new DockerPostgres(settings.DockerVolume);
        IPostgresCandidate configured = new ConfiguredConnectionString(connectionString, $"ConnectionStrings:{DatabaseSettings.ConnectionStringName}");
        return settings.Provider.ToLowerInvariant() switch
        {
            "auto" => [configured, docker, local],
            "docker" => [docker],
            "local" => [local],
            _ => throw new StartupConfigurationException(
                $"Database:Provider is '{settings.Provider}'; it must be auto, docker or local."),
        };
    }

    /// <summary>Opens one connection and turns the usual failures into one sentence naming the problem.</summary>
    public static async Task VerifyConnectionAsync(string connectionString, CancellationToken ct)
    {
        NpgsqlConnectionStringBuilder parsed;
        try
        {
            parsed = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new StartupConfigurationException($"The PostgreSQL connection string is malformed: {e.Message}", e);
        }

        var probe = new NpgsqlConnectionStringBuilder(connectionString) { Timeout = 5, Pooling = false };
        var where = $"{parsed.Host}:{parsed.Port}/{parsed.Database}";
        try
        {
            await using var connection = new NpgsqlConnection(probe.ConnectionString);
            await connection.OpenAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification)
        {
            throw new StartupConfigurationException(
                $"PostgreSQL at {where} refused the credentials of user '{parsed.Username}' ({e.MessageText}). Check the user name and password in the connection string.", e);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            throw new StartupConfigurationException(
                $"PostgreSQL at {parsed.Host}:{parsed.Port} has no database '{parsed.Database}'. Create it or name an existing one in the connection string.", e);
        }
        catch (NpgsqlException e) when (e.InnerException is SocketException or TimeoutException || e is NpgsqlException { IsTransient: true })
        {
            throw new StartupConfigurationException(
                $"PostgreSQL at {where} cannot be reached ({e.InnerException?.Message ?? e.Message}). Start the server or fix Host/Port in the connection string.", e);
        }
    }
}
