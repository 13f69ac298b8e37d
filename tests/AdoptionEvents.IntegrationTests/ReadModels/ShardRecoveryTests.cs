using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.Tests;
using JasperFx.Events.Projections;
using Npgsql;
using ReadModelConfiguration = AdoptionEvents.ReadModels.Configuration;

namespace AdoptionEvents.IntegrationTests.ReadModels;

/// <summary>ShardRecovery: a daemon shard whose progress a read-model build moved under it runs again (its own schema: the test leaves an event unprojected).</summary>
public class ShardRecoveryTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<Dictionary<string, long>> MarksAsync() =>
        (await api.Store.Advanced.AllProjectionProgress(token: Ct)).ToDictionary(p => p.ShardName, p => p.Sequence);

    private async Task<long> NewestEventAsync() => (await api.Store.Storage.Database.FetchEventStoreStatistics(Ct)).EventSequenceNumber;

    private async Task<Guid> RegisterAsync(string name) => (await api.Client.StartAsync(new InnovationRegistered
    {
        Name = $"{name} {Guid.NewGuid():N}", InnovationType = "digital", OccurredAt = SampleJourney.Year("2015"), Provenance = new Provenance { Basis = Basis.Stated },
    })).InnovationId;

    private async Task<InnovationSummary?> SummaryWithinAsync(Guid innovation, TimeSpan wait)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            await using var session = api.Store.QuerySession();
            var summary = await session.LoadAsync<InnovationSummary>(innovation, Ct);
            if (summary is not null || clock.Elapsed > wait)
            {
                return summary;
            }

            await Task.Delay(100, Ct);
        }
    }

    [Fact]
    public async Task A_shard_whose_progress_a_build_moved_under_it_is_started_again_from_the_moved_progress()
    {
        (await SummaryWithinAsync(await RegisterAsync("Before the build"), TimeSpan.FromSeconds(20))).ShouldNotBeNull("the daemon runs the summaries");
        await api.CatchUpAsync();
        var shard = new ShardName(ReadModelConfiguration.InnovationSummaries).Identity;

        // As a build does while the shard runs: hold the shard's mark, let it read a new event, move the mark past that event.
        await using (var connection = new NpgsqlConnection(api.Database.ConnectionString))
        {
            await connection.OpenAsync(Ct);
            await using var tx = await connection.BeginTransactionAsync(Ct);
            async Task<object?> SqlAsync(string sql)
            {
                await using var command = new NpgsqlCommand(sql, connection, tx) { Parameters = { new() { Value = shard } } };
                return await command.ExecuteScalarAsync(Ct);
            }

            var mark = (long)(await SqlAsync($"select last_seq_id from {api.Schema}.mt_event_progression where name = $1 for update"))!;
            await RegisterAsync("Folded by the build");
            var moved = (long)(await SqlAsync($"update {api.Schema}.mt_event_progression set last_seq_id = (select max(seq_id) from {api.Schema}.mt_events) where name = $1 returning last_seq_id"))!;
            moved.ShouldBeGreaterThan(mark);
            await tx.CommitAsync(Ct);
        }

        // The shard's batch for that event finds the mark moved and fails; started again, it goes on from the moved mark.
        var after = await RegisterAsync("After the build");
        (await SummaryWithinAsync(after, TimeSpan.FromSeconds(20))).ShouldNotBeNull("the summaries' shard runs again after its progress was moved");
        (await MarksAsync())[shard].ShouldBe(await NewestEventAsync());
    }
}
