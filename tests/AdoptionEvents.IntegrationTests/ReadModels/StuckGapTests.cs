using AdoptionEvents.Hosting;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.ReadModels.InnovationSummaries;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AdoptionEvents.IntegrationTests.ReadModels;

public class StuckGapTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_gap_that_a_session_idle_in_a_transaction_would_hold_for_ever_is_passed_once_the_cap_runs_out()
    {
        var client = api.Client;
        var site = await client.RegisterOrganisationAsync("Gap Trust");
        var other = await client.RegisterOrganisationAsync("Gap Practice");
        await api.CatchUpAsync();

        // A session opens a transaction and, after a sequence number is taken that no event will have (an append that
        // rolled back), runs one more statement in it and then sits idle in it: what a leaked session does, or a lock
        // holder whose node started then. Marten cannot rule it out as the number's holder.
        await using var idle = new NpgsqlConnection(api.Database.ConnectionString);
        await idle.OpenAsync(Ct);
        await using var transaction = await idle.BeginTransactionAsync(Ct);
        var pid = await ScalarAsync<int>(idle, "select pg_backend_pid()");
        var hole = await api.LeaveAHoleAsync();
        await ScalarAsync<int>(idle, "select 1");

        var (innovation, ids) = await client.RecordSampleJourneyAsync(site, other);
        await api.CatchUpAsync();

        await using (var session = api.Store.QuerySession())
        {
            var summary = (await session.LoadAsync<InnovationSummary>(innovation, Ct)).ShouldNotBeNull("the daemon passed the gap");
            summary.EventCount.ShouldBe(ids.Count);
        }

        (await api.ExecuteAsync("select last_seq_id from {schema}.mt_event_progression where name = 'HighWaterMark'"))!.Value.ShouldBeGreaterThan(hole);
        // The session is still there, idle in its transaction: the cap let the daemon pass, not the session's end.
        await using var check = new NpgsqlConnection(api.Database.ConnectionString);
        await check.OpenAsync(Ct);
        await using var state = new NpgsqlCommand("select state from pg_stat_activity where pid = $1", check) { Parameters = { new() { Value = pid } } };
        (await state.ExecuteScalarAsync(Ct)).ShouldBe("idle in transaction");
        StuckGapSkip.From(api.Host.Services.GetRequiredService<IConfiguration>()).After.ShouldBe(TimeSpan.Parse(ApiFixture.StuckGapCap, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(Ct))!;
    }
}
