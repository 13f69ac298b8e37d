using System.Net;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Tests;

namespace AdoptionEvents.IntegrationTests.ReadModels;

/// <summary>A node that takes commands while other nodes build the read models.</summary>
public sealed class WriteNodeFixture(TestDatabase database) : ApiFixture(database)
{
    protected override IEnumerable<(string Key, string Value)> Settings => [("Projections:Daemon", "None"), ("Projections:PollingMilliseconds", "150")];
}

public class WriteNodeTests(WriteNodeFixture api) : IClassFixture<WriteNodeFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_write_node_records_facts_and_builds_no_async_read_model_and_health_says_so()
    {
        var start = await api.Client.StartAsync(new InnovationRegistered
        {
            Name = "Write node", InnovationType = "digital", OccurredAt = SampleJourney.Year("2012"), Provenance = new Provenance { Basis = Basis.Stated },
        });

        (await api.Client.HistoryAsync(start.InnovationId)).Version.ShouldBe(1, "inline projections and commands work as anywhere");
        (await api.Client.Http.GetAsync($"/api/innovations/{start.InnovationId}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound, "no daemon on this node builds the summary");
        var (_, daemon) = await api.Client.ReadinessAsync();
        daemon.GetProperty("description").GetString()!.ShouldStartWith("this node runs no projections");
    }

    [Fact]
    public void The_polling_interval_setting_reaches_the_daemon_for_busy_and_quiet_times()
    {
        var projections = ((Marten.StoreOptions)api.Store.Options).Projections;
        (projections.FastPollingTime, projections.SlowPollingTime).ShouldBe((TimeSpan.FromMilliseconds(150), TimeSpan.FromMilliseconds(150)));
    }
}
