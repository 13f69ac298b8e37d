using AdoptionEvents.Hosting;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.SiteAdoption;
using Npgsql;
using Weasel.Core;

namespace AdoptionEvents.IntegrationTests.Hosting;

/// <summary>The store's serializer reads jsonb from the rows Npgsql has buffered as Marten's own serializer reads them.</summary>
public class StoreJsonSerializerTests(TestDatabase database)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Marten.ISerializer Ours = new StoreJsonSerializer(EnumStorage.AsString, Casing.CamelCase, Json.ConfigureStore);

    private static readonly Marten.Services.SystemTextJsonSerializer Martens = Marten(EnumStorage.AsString, Casing.CamelCase);

    private static Marten.Services.SystemTextJsonSerializer Marten(EnumStorage enums, Casing casing)
    {
        var serializer = new Marten.Services.SystemTextJsonSerializer { EnumStorage = enums, Casing = casing };
        serializer.Configure(Json.ConfigureStore);
        return serializer;
    }

    private static readonly StaffTrained Fact = new()
    {
        InnovationId = Guid.CreateVersion7(),
        SiteId = Guid.CreateVersion7(),
        Count = 12,
        Role = "nurse",
        OccurredAt = PartialDate.Day(new DateOnly(2024, 3, 1)),
        Provenance = new Provenance { Basis = Basis.Stated, Confidence = 0.8 },
        CausedBy = [Guid.CreateVersion7()],
    };

    /// <summary>Reads the JSON back from PostgreSQL as jsonb, in a row of a reader opened as Marten opens them (not sequential).</summary>
    private async Task<T> ReadBackAsync<T>(string json, Func<NpgsqlDataReader, ValueTask<T>> read)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("select $1::jsonb, 42", connection) { Parameters = { new() { Value = json } } };
        await using var reader = await command.ExecuteReaderAsync(Ct);
        (await reader.ReadAsync(Ct)).ShouldBeTrue();
        var value = await read(reader);
        reader.GetInt32(1).ShouldBe(42);
        return value;
    }

    [Fact]
    public async Task An_event_read_from_a_row_equals_what_Martens_own_serializer_reads_and_is_read_without_waiting()
    {
        var json = Ours.ToJson(Fact);

        var ours = await ReadBackAsync(json, reader =>
        {
            var reading = Ours.FromJsonAsync(typeof(StaffTrained), reader, 0, Ct);
            reading.IsCompletedSuccessfully.ShouldBeTrue();
            return reading;
        });
        var martens = await ReadBackAsync(json, reader => Martens.FromJsonAsync(typeof(StaffTrained), reader, 0, Ct));

        var read = ours.ShouldBeOfType<StaffTrained>();
        var expected = martens.ShouldBeOfType<StaffTrained>();
        read.ShouldBe(expected with { CausedBy = read.CausedBy, Provenance = read.Provenance });
        read.CausedBy.ShouldBe(Fact.CausedBy);
        read.Provenance.ShouldBe(Fact.Provenance with { Sources = read.Provenance.Sources });
        (read.Count, read.Role, read.SiteId, read.InnovationId, read.OccurredAt).ShouldBe((12, "nurse", Fact.SiteId, Fact.InnovationId, Fact.OccurredAt));
    }

    [Fact]
    public async Task Headers_read_from_a_row_keep_Martens_shape_strings_not_json_elements()
    {
        var json = Ours.ToJson(new Dictionary<string, object> { ["seal"] = "abc", ["organisation"] = "x,y" });

        var ours = await ReadBackAsync(json, reader =>
        {
            var reading = Ours.FromJsonAsync<Dictionary<string, object>>(reader, 0, Ct);
            reading.IsCompletedSuccessfully.ShouldBeTrue();
            return reading;
        });
        var martens = await ReadBackAsync(json, reader => Martens.FromJsonAsync<Dictionary<string, object>>(reader, 0, Ct));

        ours.ShouldBe(martens);
        ours["seal"].ShouldBeOfType<string>().ShouldBe("abc");
    }

    [Fact]
    public async Task A_value_larger_than_Npgsqls_read_buffer_is_read_whole()
    {
        var many = Fact with { CausedBy = [.. Enumerable.Range(0, 2_000).Select(_ => Guid.CreateVersion7())] };
        var json = Ours.ToJson(many);
        json.Length.ShouldBeGreaterThan(64 * 1024);

        var read = (StaffTrained)await ReadBackAsync(json, reader => Ours.FromJsonAsync(typeof(StaffTrained), reader, 0, Ct));

        read.CausedBy.ShouldBe(many.CausedBy);
    }

    [Fact]
    public void Writes_as_Martens_serializer_with_the_stores_settings()
    {
        Ours.EnumStorage.ShouldBe(EnumStorage.AsString);
        Ours.Casing.ShouldBe(Casing.CamelCase);
        Ours.ToJson(Fact).ShouldBe(Martens.ToJson(Fact));
        Ours.ToJson(Fact).ShouldNotBe(Marten(EnumStorage.AsInteger, Casing.Default).ToJson(Fact));
    }
}
