using AdoptionEvents.Hosting.Database;
using AdoptionEvents.IntegrationTests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AdoptionEvents.IntegrationTests.Hosting;

public class JsonbCompressionTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<Dictionary<string, string>> CompressionByColumnAsync()
    {
        await using var connection = new NpgsqlConnection(api.Database.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(
            """
            select c.relname || '.' || a.attname, coalesce(nullif(a.attcompression::text, ''), 'default')
            from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = $1 and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped and a.atttypid = 'jsonb'::regtype
            """, connection) { Parameters = { new() { Value = api.Schema } } };
        var columns = new Dictionary<string, string>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            columns[reader.GetString(0)] = reader.GetString(1);
        }

        return columns;
    }

    [Fact]
    public async Task Every_jsonb_column_of_the_store_is_compressed_with_lz4_after_start_and_a_column_set_back_is_set_again_at_the_next()
    {
        await using (var connection = new NpgsqlConnection(api.Database.ConnectionString))
        {
            await connection.OpenAsync(Ct);
            await using var probe = new NpgsqlCommand("select 'lz4' = any(enumvals) from pg_settings where name = 'default_toast_compression'", connection);
            Assert.True(await probe.ExecuteScalarAsync(Ct) is true, "the test server must offer lz4, as PostgreSQL 15 from Debian and the postgres images do");
        }

        var columns = await CompressionByColumnAsync();
        columns.Keys.ShouldContain("mt_doc_journey.data");
        columns.Keys.ShouldContain("mt_events.data");
        columns.Where(c => c.Value != "l").ShouldBeEmpty();

        await using (var connection = new NpgsqlConnection(api.Database.ConnectionString))
        {
            await connection.OpenAsync(Ct);
            await using var back = new NpgsqlCommand($"alter table {api.Schema}.mt_doc_journey alter column data set compression pglz", connection);
            await back.ExecuteNonQueryAsync(Ct);
        }

        (await CompressionByColumnAsync())["mt_doc_journey.data"].ShouldBe("p");
        await new JsonbCompression(api.Host.Services.GetRequiredService<IDocumentStore>(), NullLogger<JsonbCompression>.Instance).StartAsync(Ct);

        (await CompressionByColumnAsync()).ShouldBe(columns);
    }
}
