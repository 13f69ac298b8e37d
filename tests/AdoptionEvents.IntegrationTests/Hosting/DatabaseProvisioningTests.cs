using AdoptionEvents.Hosting.Database;
using AdoptionEvents.IntegrationTests.Infrastructure;
using Npgsql;

namespace AdoptionEvents.IntegrationTests.Hosting;

public class DatabaseProvisioningTests(TestDatabase database)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_local_cluster_is_created_serves_queries_and_leaves_nothing_behind_when_stopped()
    {
        var directory = TestDatabase.ThrowAwayDirectory();
        var cluster = new LocalPostgresCluster(new LocalClusterOptions { Directory = directory, Ephemeral = true });

        var result = await cluster.TryProvisionAsync(Ct);

        result.Database.ShouldNotBeNull(result.WhyNot);
        await using (var connection = new NpgsqlConnection(result.Database.ConnectionString))
        {
            await connection.OpenAsync(Ct);
            await using var command = new NpgsqlCommand("select current_database()", connection);
            (await command.ExecuteScalarAsync(Ct)).ShouldBe("adoption_events");
        }

        await result.Database.DisposeAsync();
        Directory.Exists(directory).ShouldBeFalse();
    }

    [Fact]
    public async Task A_persistent_local_cluster_keeps_its_data_and_port_across_restarts()
    {
        var directory = TestDatabase.ThrowAwayDirectory();
        var options = new LocalClusterOptions { Directory = directory };
        try
        {
            var first = (await new LocalPostgresCluster(options).TryProvisionAsync(Ct)).Database!;
            await Execute(first.ConnectionString, "create table kept(v int); insert into kept values (42);");
            await first.DisposeAsync();

            var second = (await new LocalPostgresCluster(options).TryProvisionAsync(Ct)).Database!;
            (await Execute(second.ConnectionString, "select v from kept")).ShouldBe(42);
            second.ConnectionString.ShouldBe(first.ConnectionString);
            await second.DisposeAsync();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Without_binaries_the_local_candidate_declines_and_says_where_it_looked()
    {
        var cluster = new LocalPostgresCluster(new LocalClusterOptions { Directory = TestDatabase.ThrowAwayDirectory(), BinDirectory = "/nowhere/bin" });

        var result = await cluster.TryProvisionAsync(Ct);

        result.Database.ShouldBeNull();
        result.WhyNot.ShouldBe("no initdb and pg_ctl in /nowhere/bin");
    }

    [Fact]
    public async Task Docker_either_serves_a_working_server_or_declines_with_a_reason()
    {
        var result = await new DockerPostgres(volumeName: null).TryProvisionAsync(Ct);

        if (result.Database is { } served)
        {
            await using (served)
            {
                (await Execute(served.ConnectionString, "select 42")).ShouldBe(42);
            }
        }
        else
        {
            result.WhyNot.ShouldNotBeNullOrWhiteSpace();
            result.WhyNot.ShouldContain("Docker");
        }
    }

    [Fact]
    public async Task An_unreachable_server_is_named_in_one_sentence()
    {
        var error = await Should.ThrowAsync<StartupConfigurationException>(() =>
            DatabaseSetup.VerifyConnectionAsync("Host=127.0.0.1;Port=1;Username=x;Password=y;Database=d", Ct));

        error.Message.ShouldStartWith("PostgreSQL at 127.0.0.1:1/d cannot be reached");
    }

    [Fact]
    public async Task A_missing_database_is_named()
    {
        var connection = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Database = "no_such_db" }.ConnectionString;

        var error = await Should.ThrowAsync<StartupConfigurationException>(() => DatabaseSetup.VerifyConnectionAsync(connection, Ct));

        error.Message.ShouldContain("has no database 'no_such_db'");
    }

    [Fact]
    public async Task A_wrong_password_is_named()
    {
        // A cluster of its own whose pg_hba asks every role but the superuser for a password.
        var directory = TestDatabase.ThrowAwayDirectory();
        await using var server = (await new LocalPostgresCluster(new LocalClusterOptions { Directory = directory, Ephemeral = true }).TryProvisionAsync(Ct)).Database!;
        await Execute(server.ConnectionString, "create role recorder login password 'right'");
        var hba = Path.Combine(directory, "pgdata", "pg_hba.conf");
        await File.WriteAllTextAsync(hba, "host all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n", Ct);
        await Execute(server.ConnectionString, "select pg_reload_conf()");
        var wrong = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Username = "recorder", Password = "wrong" }.ConnectionString;

        var error = await Should.ThrowAsync<StartupConfigurationException>(() => DatabaseSetup.VerifyConnectionAsync(wrong, Ct));

        error.Message.ShouldContain("refused the credentials of user 'recorder'");
    }

    [Fact]
    public async Task A_malformed_connection_string_is_named()
    {
        var error = await Should.ThrowAsync<StartupConfigurationException>(() => DatabaseSetup.VerifyConnectionAsync("Hots=nowhere", Ct));

        error.Message.ShouldContain("connection string is malformed");
    }

    private static async Task<object?> Execute(string connectionString, string sql) => await Query(connectionString, sql);

    private static async Task<object?> Query(string connectionString, string sql)
    {
        // Unpooled: a restarted cluster on the same address must not get a pooled, dead connection.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
