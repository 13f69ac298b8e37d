using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using AdoptionEvents.Integration.Webhooks;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.Tests;

namespace AdoptionEvents.IntegrationTests.Integration;

/// <summary>The API with the RabbitMQ transport on, a real broker, and the webhook dispatcher running in the background.</summary>
public sealed class BrokerFixture(TestDatabase database) : ApiFixture(database)
{
    public RabbitBroker Broker { get; } = new();

    public string Exchange { get; } = $"adoption-events-{Guid.NewGuid():N}"[..28];

    protected override bool KeepExternalTransports => true;

    protected override IEnumerable<(string Key, string Value)> Settings =>
    [
        ("Integration:RabbitMq:Uri", Broker.Uri),
        ("Integration:RabbitMq:Exchange", Exchange),
        ("Integration:Webhooks:PollInterval", "00:00:00.100"),
        ("Integration:Webhooks:InitialBackoff", "00:00:00.010"),
    ];

    public override async ValueTask InitializeAsync()
    {
        await Broker.StartAsync();
        await base.InitializeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Broker.DisposeAsync();
    }
}

public class BrokerTests(BrokerFixture api) : IClassFixture<BrokerFixture>
{
    private static readonly Provenance Stated = new() { Basis = Basis.Stated, Sources = [new SourceReference { Id = "KF-AF" }] };

    private static JourneyEvent[] Journey(Guid a, Guid b) =>
    [
        new AdoptionDecided { SiteId = a, Outcome = AdoptionOutcome.Adopt, OccurredAt = SampleJourney.Year("2016"), Provenance = Stated },
        new ServiceWentLive { SiteId = a, OccurredAt = SampleJourney.Year("2017"), Provenance = Stated },
        new AdoptionDecided { SiteId = b, Outcome = AdoptionOutcome.Adopt, OccurredAt = SampleJourney.Year("2017"), Provenance = Stated },
        new ServiceWentLive { SiteId = b, OccurredAt = SampleJourney.Year("2018"), Provenance = Stated },
    ];

    private static InnovationRegistered Innovation(string name) =>
        new() { Name = name, InnovationType = "service_model", OccurredAt = SampleJourney.Year("2014"), Provenance = Stated };

    [Fact]
    public async Task With_a_broker_the_relay_runs_in_the_daemon_and_ready_reports_its_lag()
    {
        // Ready lists the shards once the daemon runs them (it is not running for a moment while another test forces a catch-up).
        await api.Client.StartAsync(Innovation("Relayed"));
        string[] shards = [];
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var response = await api.Client.Http.GetAsync("/health/ready", TestContext.Current.CancellationToken);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var ready = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(TestContext.Current.CancellationToken);
                shards = [.. ready.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "projection-daemon")
                    .GetProperty("data").EnumerateObject().Select(p => p.Name.Split(':')[0])];
                if (shards.Length == 4)
                {
                    break;
                }
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        shards.ShouldBe(["InnovationSummaries", "IntegrationRelay", "ObservedMetrics", "SiteRegister"], ignoreOrder: true);

        // The admin list names it as a subscription, with its position.
        var listed = await api.Client.Http.GetFromJsonAsync<List<AdoptionEvents.ReadModels.Admin.ProjectionStatus>>("/api/admin/projections", ApiClient.JsonOptions, TestContext.Current.CancellationToken);
        var relay = listed!.Single(p => p.Name == "IntegrationRelay");
        relay.Lifecycle.ShouldBe("subscription");
        relay.Sequence.ShouldNotBeNull();
    }

    [Fact]
    public async Task Every_event_reaches_the_topic_exchange_in_order_per_innovation_with_family_and_type_routing_keys()
    {
        await using var everything = await QueueReader.OpenAsync(api.Broker.Uri, api.Exchange, "#");
        await using var goLives = await QueueReader.OpenAsync(api.Broker.Uri, api.Exchange, "site_adoption.service_went_live");
        var client = api.Client;
        var a = await client.RegisterOrganisationAsync("Broker site A");
        var b = await client.RegisterOrganisationAsync("Broker site B");

        // Three journeys recorded concurrently: commits interleave across streams.
        var journeys = await Task.WhenAll(Enumerable.Range(1, 3).Select(async i =>
        {
            var started = await client.StartAsync(Innovation($"AF programme {i}"));
            var ids = new List<Guid> { started.Events.Single().Id };
            foreach (var fact in Journey(a, b))
            {
                ids.Add((await client.RecordAsync(started.InnovationId, fact)).Events.Single().Id);
            }

            return (started.InnovationId, ids);
        }));
        var expected = journeys.SelectMany(j => j.ids).ToHashSet();

        var read = await everything.ReadUntilAsync([], m => expected.IsSubsetOf(m.Select(x => x.EventId)));
        foreach (var (innovation, ids) in journeys)
        {
            var mine = read.Where(m => m.CloudEvent.GetProperty("subject").GetString() == innovation.ToString()).DistinctBy(m => m.EventId).ToList();
            mine.Select(m => m.EventId).ShouldBe(ids);
            mine.Select(m => m.CloudEvent.GetProperty("streamversion").GetInt64()).ShouldBe([1, 2, 3, 4, 5]);
        }

        read.ShouldAllBe(m => m.RoutingKey == $"{m.CloudEvent.GetProperty("family").GetString()}.{m.CloudEvent.GetProperty("type").GetString()}");
        read.ShouldAllBe(m => m.Persistent);
        read.Select(m => m.CloudEvent.GetProperty("sequence").GetInt64()).ShouldBeInOrder();
        read.First(m => m.RoutingKey == "origin.innovation_registered" && expected.Contains(m.EventId)).CloudEvent.GetProperty("data").GetProperty("name").GetString().ShouldStartWith("AF programme");

        var live = await goLives.ReadUntilAsync([], m => m.DistinctBy(x => x.EventId).Count() >= 6);
        live.ShouldAllBe(m => m.RoutingKey == "site_adoption.service_went_live");
    }

    [Fact]
    public async Task Events_appended_while_the_broker_is_down_are_delivered_when_it_returns()
    {
        Assert.SkipUnless(api.Broker.CanRestart, "the broker was given by URI only: this run cannot stop and start it");
        await using var queue = await QueueReader.OpenAsync(api.Broker.Uri, api.Exchange, "#");
        var client = api.Client;
        var a = await client.RegisterOrganisationAsync("Outage site A");
        var b = await client.RegisterOrganisationAsync("Outage site B");

        await api.Broker.StopAppAsync();
        List<Guid> ids;
        try
        {
            var started = await client.StartAsync(Innovation("Recorded during an outage"));
            ids = [started.Events.Single().Id];
            foreach (var fact in Journey(a, b))
            {
                ids.Add((await client.RecordAsync(started.InnovationId, fact)).Events.Single().Id);
            }

            // They are committed; the relay holds its position at the first of them until the broker confirms it.
            (await api.Client.HistoryAsync(started.InnovationId)).Events.Count.ShouldBe(ids.Count);
        }
        finally
        {
            await api.Broker.StartAppAsync();
        }

        await queue.ReconnectAsync();
        var read = await queue.ReadUntilAsync([], m => ids.All(id => m.Any(x => x.EventId == id)), TimeSpan.FromSeconds(90));
        read.Where(m => ids.Contains(m.EventId)).DistinctBy(m => m.EventId).Select(m => m.EventId).ShouldBe(ids, "in order, after the outage too");
        await api.CatchUpAsync();
    }

    [Fact]
    public async Task A_new_event_reaches_the_broker_and_a_webhook_without_being_driven_and_the_latency_is_reported()
    {
        await using var queue = await QueueReader.OpenAsync(api.Broker.Uri, api.Exchange, "#");
        await using var receiver = await WebhookReceiver.StartAsync();
        var subscribed = await api.Client.Http.PostAsJsonAsync("/api/subscriptions", new { url = receiver.Url }, ApiClient.JsonOptions, TestContext.Current.CancellationToken);
        await ApiClient.ExpectAsync(subscribed, HttpStatusCode.Created);
        var subscription = (await subscribed.Content.ReadFromJsonAsync<SubscriptionView>(ApiClient.JsonOptions, TestContext.Current.CancellationToken))!;
        var site = await api.Client.RegisterOrganisationAsync("Latency site");
        var started = await api.Client.StartAsync(Innovation("Latency"));

        var brokerMs = new List<double>();
        var webhookMs = new List<double>();
        var read = new List<BrokerMessage>();
        foreach (var fact in Journey(site, site).Take(2))
        {
            var id = (await api.Client.RecordAsync(started.InnovationId, fact)).Events.Single().Id;
            var committed = Stopwatch.GetTimestamp();
            var message = (await queue.ReadUntilAsync(read, m => m.Any(x => x.EventId == id))).First(x => x.EventId == id);
            var hook = (await receiver.WaitForAsync(r => r.Any(x => x.Accepted && x.EventId == id))).First(x => x.EventId == id);
            brokerMs.Add(Stopwatch.GetElapsedTime(committed, message.ReceivedAt).TotalMilliseconds);
            webhookMs.Add(Stopwatch.GetElapsedTime(committed, hook.ReceivedAt).TotalMilliseconds);
        }

        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"commit-to-consumer latency: RabbitMQ {string.Join(", ", brokerMs.Select(x => $"{x:F0} ms"))}; webhook {string.Join(", ", webhookMs.Select(x => $"{x:F0} ms"))}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"LATENCY commit-to-consumer: RabbitMQ {string.Join(", ", brokerMs.Select(x => $"{x:F0} ms"))}; webhook {string.Join(", ", webhookMs.Select(x => $"{x:F0} ms"))}"));
        await ApiClient.ExpectAsync(await api.Client.Http.DeleteAsync($"/api/subscriptions/{subscription.Id}", TestContext.Current.CancellationToken), HttpStatusCode.NoContent);
    }
}
