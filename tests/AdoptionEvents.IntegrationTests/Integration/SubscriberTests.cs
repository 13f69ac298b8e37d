using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AdoptionEvents.Integration;
using AdoptionEvents.Integration.Webhooks;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.Organisations;
using AdoptionEvents.Tests;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AdoptionEvents.IntegrationTests.Integration;

/// <summary>
/// The API with webhook dispatch driven by the test (no background loop): each pass is awaited, so
/// retries, dead letters and order are checked without sleeping. Backoff is a few milliseconds.
/// </summary>
public sealed class SubscriberFixture(TestDatabase database) : ApiFixture(database)
{
    public const int MaxAttempts = 3;

    protected override IEnumerable<(string Key, string Value)> Settings =>
    [
        ("Integration:Webhooks:Dispatch", "false"),
        ("Integration:Webhooks:MaxAttempts", MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("Integration:Webhooks:InitialBackoff", "00:00:00.002"),
        ("Integration:Webhooks:MaxBackoff", "00:00:00.010"),
        ("Integration:Webhooks:Timeout", "00:00:05"),
        ("Integration:Stream:PollInterval", "00:00:00.100"),
        ("Integration:Source", "urn:adoption-events:test"),
    ];

    public WebhookDispatcher Dispatcher => Host.Services.GetRequiredService<WebhookDispatcher>();

    /// <summary>Runs dispatch passes until <paramref name="done"/> holds; between idle passes it waits for the relay's signal.</summary>
    public async Task DispatchUntilAsync(Func<Task<bool>> done, int maxPasses = 400)
    {
        var signal = Host.Services.GetRequiredService<EventSignal>();
        for (var pass = 0; pass < maxPasses; pass++)
        {
            var attempts = await Dispatcher.DispatchAsync(TestContext.Current.CancellationToken);
            if (await done())
            {
                return;
            }

            if (attempts == 0)
            {
                await signal.WaitAsync(TimeSpan.FromMilliseconds(50), TimeProvider.System, TestContext.Current.CancellationToken);
            }
        }

        throw new ShouldAssertException($"not done after {maxPasses} dispatch passes");
    }
}

public class SubscriberTests(SubscriberFixture api) : IClassFixture<SubscriberFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Provenance Stated = new() { Basis = Basis.Stated, Sources = [new SourceReference { Id = "KF-FLO" }] };

    private static readonly JsonSerializerOptions Json = ApiClient.JsonOptions;

    private HttpClient Http => api.Client.Http;

    private static InnovationRegistered Innovation(string name) =>
        new() { Name = name, InnovationType = "digital", OccurredAt = SampleJourney.Year("2009"), Provenance = Stated };

    private static AdoptionDecided Adopt(Guid site) => new() { SiteId = site, Outcome = AdoptionOutcome.Adopt, OccurredAt = SampleJourney.Year("2010"), Provenance = Stated };

    private static ServiceWentLive GoLive(Guid site) => new() { SiteId = site, OccurredAt = SampleJourney.Year("2011"), Provenance = Stated };

    /// <summary>A journey of five events (registered, two sites decided and live); returns its id and event ids in order.</summary>
    private async Task<(Guid Innovation, List<Guid> Events)> RecordJourneyAsync(string name)
    {
        var client = api.Client;
        var a = await client.RegisterOrganisationAsync($"{name} site A");
        var b = await client.RegisterOrganisationAsync($"{name} site B", OrganisationKind.GpPractice);
        var started = await client.StartAsync(Innovation(name));
        var ids = new List<Guid> { started.Events.Single().Id };
        foreach (var fact in new JourneyEvent[] { Adopt(a), GoLive(a), Adopt(b), GoLive(b) })
        {
            ids.Add((await client.RecordAsync(started.InnovationId, fact)).Events.Single().Id);
        }

        return (started.InnovationId, ids);
    }

    private async Task<long> HighWaterMarkAfterCatchUpAsync()
    {
        await api.CatchUpAsync();
        return await api.Host.Services.GetRequiredService<GlobalLog>().HighWaterMarkAsync(Ct);
    }

    private async Task<SubscriptionView> SubscribeAsync(object body)
    {
        // Everything recorded by earlier tests is below the high-water mark, so "now" excludes it.
        await api.CatchUpAsync();
        var response = await Http.PostAsJsonAsync("/api/subscriptions", body, Json, Ct);
        await ApiClient.ExpectAsync(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<SubscriptionView>(Json, Ct))!;
    }

    private async Task<IReadOnlyList<WebhookDelivery>> DeliveriesAsync(Guid subscription, string query = "")
    {
        var response = await Http.GetAsync($"/api/subscriptions/{subscription}/deliveries{query}", Ct);
        await ApiClient.ExpectAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<DeliveryLog>(Json, Ct))!.Deliveries;
    }

    private async Task DeleteAsync(Guid subscription) =>
        await ApiClient.ExpectAsync(await Http.DeleteAsync($"/api/subscriptions/{subscription}", Ct), HttpStatusCode.NoContent);

    [Fact]
    public async Task Without_a_broker_the_in_process_readers_are_woken_when_the_daemon_passes_a_new_event()
    {
        // Only a pulse ends a wait before its minute is up: the daemon's new high-water mark (no relay runs here).
        var signal = api.Host.Services.GetRequiredService<EventSignal>();
        var log = api.Host.Services.GetRequiredService<GlobalLog>();
        var position = await HighWaterMarkAfterCatchUpAsync();
        var woken = signal.WaitAsync(TimeSpan.FromMinutes(1), TimeProvider.System, Ct);
        var id = (await api.Client.StartAsync(Innovation("Woken"))).Events.Single().Id;
        for (var pulses = 0; ; pulses++)
        {
            pulses.ShouldBeLessThan(10);
            (await Task.WhenAny(woken, Task.Delay(TimeSpan.FromSeconds(30), Ct))).ShouldBe(woken, "no pulse within 30 s of the append");
            woken = signal.WaitAsync(TimeSpan.FromMinutes(1), TimeProvider.System, Ct);
            if ((await log.ReadAsync(position, 100, [], Ct)).Events.Any(e => e.Id == id))
            {
                break;
            }
        }
    }

    [Fact]
    public async Task A_commit_that_appends_notifies_the_daemon_whose_wake_up_is_the_spaced_one()
    {
        // The NOTIFY Marten's LISTEN wake-up waits for, sent by the commit itself (DaemonWakeup.AppendNotice).
        await using var listener = new Npgsql.NpgsqlConnection(api.Database.ConnectionString);
        await listener.OpenAsync(Ct);
        var notified = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Notification += (_, e) => notified.TrySetResult(e.Channel);
        await using (var listen = new Npgsql.NpgsqlCommand($"listen {Marten.Events.Daemon.HighWater.PostgresqlListenWakeup.DefaultChannel}", listener))
        {
            await listen.ExecuteNonQueryAsync(Ct);
        }

        await api.Client.StartAsync(Innovation("Notified"));
        var waiting = listener.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        (await Task.WhenAny(notified.Task, Task.Delay(TimeSpan.FromSeconds(10), Ct))).ShouldBe(notified.Task, "no NOTIFY within 10 s of the commit");
        (await notified.Task).ShouldBe(Marten.Events.Daemon.HighWater.PostgresqlListenWakeup.DefaultChannel);
        await waiting;

        // The daemon's wake-up is the spaced one, with the configured spacing (100 ms by default).
        ((Marten.StoreOptions)api.Store.Options).Projections.Wakeup.ShouldBeOfType<SpacedWakeup>();
        api.Host.Services.GetRequiredService<IntegrationSettings>().WakeSpacing.ShouldBe(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task A_broker_configured_on_a_store_with_history_is_sent_what_comes_after_and_a_restart_keeps_the_relay_position()
    {
        await RecordJourneyAsync("Before the broker");
        var mark = await HighWaterMarkAfterCatchUpAsync();
        var origin = new RelayOrigin(api.Store, Microsoft.Extensions.Logging.Abstractions.NullLogger<RelayOrigin>.Instance);
        var schema = api.Store.Options.Events.DatabaseSchemaName;
        await using var session = api.Store.QuerySession();
        async Task<IReadOnlyList<long>> PositionAsync() =>
            await session.QueryAsync<long>($"select last_seq_id from {schema}.mt_event_progression where name = 'IntegrationRelay:All'", Ct);
        try
        {
            await origin.StartAsync(Ct);
            (await PositionAsync()).ShouldBe([mark]);

            // Started again after more events (a restart): the position it had is kept, so nothing appended meanwhile is skipped.
            await RecordJourneyAsync("While the relay was away");
            (await HighWaterMarkAfterCatchUpAsync()).ShouldBeGreaterThan(mark);
            await origin.StartAsync(Ct);
            (await PositionAsync()).ShouldBe([mark]);
        }
        finally
        {
            await using var connection = api.Store.Storage.Database.CreateConnection();
            await connection.OpenAsync(Ct);
            await using var delete = new Npgsql.NpgsqlCommand($"delete from {schema}.mt_event_progression where name = 'IntegrationRelay:All'", connection);
            await delete.ExecuteNonQueryAsync(Ct);
        }
    }

    [Fact]
    public async Task A_webhook_gets_every_event_as_a_signed_CloudEvent_in_order()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        const string secret = "a-secret-of-32-characters-length";
        var subscription = await SubscribeAsync(new { url = receiver.Url, secret, start = "now" });
        subscription.Secret.ShouldBeNull();
        var (innovation, ids) = await RecordJourneyAsync("Signed");

        await api.DispatchUntilAsync(async () => (await DeliveriesAsync(subscription.Id, "?status=delivered")).Count == ids.Count);

        var received = receiver.Accepted;
        received.Select(r => r.EventId).ShouldBe(ids);
        received.Select(r => r.Sequence).ShouldBeInOrder();
        foreach (var r in received)
        {
            var t = r.Signature.Split(',')[0]["t=".Length..];
            var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{r.Body}")));
            r.Signature.ShouldBe($"t={t},v1={expected}");
            Guid.Parse(r.DeliveryId).ShouldNotBe(Guid.Empty);
        }

        var live = received[2].CloudEvent;
        live.GetProperty("specversion").GetString().ShouldBe("1.0");
        live.GetProperty("source").GetString().ShouldBe("urn:adoption-events:test");
        live.GetProperty("type").GetString().ShouldBe("service_went_live");
        live.GetProperty("family").GetString().ShouldBe("site_adoption");
        live.GetProperty("subject").GetString().ShouldBe(innovation.ToString());
        live.GetProperty("streamversion").GetInt64().ShouldBe(3);
        live.GetProperty("datacontenttype").GetString().ShouldBe("application/json");
        live.GetProperty("data").GetProperty("occurredAt").GetProperty("value").GetString().ShouldBe("2011");
        live.GetProperty("data").GetProperty("provenance").GetProperty("basis").GetString().ShouldBe("stated");
        live.TryGetProperty("time", out _).ShouldBeTrue();
        await DeleteAsync(subscription.Id);
    }

    [Fact]
    public async Task A_subscription_stores_its_secret_sealed_never_in_plain_text()
    {
        const string secret = "a-secret-nobody-may-read-at-rest";
        await using var receiver = await WebhookReceiver.StartAsync();
        var subscription = await SubscribeAsync(new { url = receiver.Url, secret, start = "now" });

        var table = $"{{schema}}.mt_doc_webhooksubscription where id = '{subscription.Id}'";
        (await api.ExecuteAsync($"select count(*) from {table} and data::text like '%{secret}%'")).ShouldBe(0);
        (await api.ExecuteAsync($"select count(*) from {table} and data ? 'sealedSecret' and not data ? 'secret'")).ShouldBe(1);
        await using (var session = api.Store.QuerySession())
        {
            var stored = (await session.LoadAsync<WebhookSubscription>(subscription.Id, Ct)).ShouldNotBeNull();
            api.Host.Services.GetRequiredService<WebhookSecrets>().Open(subscription.Id, stored.SealedSecret.ShouldNotBeNull()).ShouldBe(secret);
        }

        await DeleteAsync(subscription.Id);
    }

    [Fact]
    public async Task A_secret_stored_in_plain_text_before_sealing_is_sealed_at_start_up_keeping_the_rest()
    {
        const string secret = "a-plain-secret-from-before-sealing";
        var id = Guid.NewGuid();
        await using (var session = api.Store.LightweightSession())
        {
            session.Store(new WebhookSubscription
            {
                Id = id, Url = "https://receiver.example.org/old", Secret = secret, Status = SubscriptionStatus.Paused, CreatedAt = DateTimeOffset.UtcNow,
            });
            await session.SaveChangesAsync(Ct);
        }

        var sealing = api.Host.Services.GetRequiredService<WebhookSecretSealing>();
        (await sealing.SealAsync(Ct)).ShouldBeGreaterThanOrEqualTo(1);
        (await sealing.SealAsync(Ct)).ShouldBe(0);

        (await api.ExecuteAsync($"select count(*) from {{schema}}.mt_doc_webhooksubscription where id = '{id}' and data::text like '%{secret}%'")).ShouldBe(0);
        await using (var session = api.Store.QuerySession())
        {
            var stored = (await session.LoadAsync<WebhookSubscription>(id, Ct)).ShouldNotBeNull();
            stored.Secret.ShouldBeNull();
            stored.Status.ShouldBe(SubscriptionStatus.Paused);
            stored.Url.ShouldBe("https://receiver.example.org/old");
            api.Host.Services.GetRequiredService<WebhookSecrets>().Open(id, stored.SealedSecret.ShouldNotBeNull()).ShouldBe(secret);
        }

        await DeleteAsync(id);
    }

    [Fact]
    public async Task A_secret_that_cannot_be_opened_is_never_sent_unsigned_and_the_attempt_says_why()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var id = Guid.NewGuid();
        var otherKey = new WebhookSecrets(RandomNumberGenerator.GetBytes(32), []);
        await using (var session = api.Store.LightweightSession())
        {
            session.Store(new WebhookSubscription
            {
                Id = id, Url = receiver.Url, SealedSecret = otherKey.Seal(id, "a-secret-sealed-with-a-key-gone"), Status = SubscriptionStatus.Active,
                StartedAfter = await HighWaterMarkAfterCatchUpAsync(), CreatedAt = DateTimeOffset.UtcNow,
            });
            await session.SaveChangesAsync(Ct);
        }

        var (_, ids) = await RecordJourneyAsync("Unopened");
        await api.DispatchUntilAsync(async () => (await DeliveriesAsync(id, "?status=dead_lettered")).Count == ids.Count);

        receiver.Received.ShouldBeEmpty();
        var log = await DeliveriesAsync(id);
        log.ShouldAllBe(d => d.Attempts == SubscriberFixture.MaxAttempts && d.Log.All(a => a.StatusCode == null && a.Error!.Contains(WebhookSecrets.PreviousSetting)));
        await DeleteAsync(id);
    }

    [Fact]
    public async Task A_receiver_that_fails_twice_per_event_then_succeeds_gets_every_event_in_order()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = n => n % 3 == 0 ? 200 : 503;
        var subscription = await SubscribeAsync(new { url = receiver.Url, start = "now" });
        subscription.Secret!.Length.ShouldBeGreaterThanOrEqualTo(WebhookRules.MinSecretLength);
        var (_, ids) = await RecordJourneyAsync("Flaky");

        await api.DispatchUntilAsync(async () => (await DeliveriesAsync(subscription.Id, "?status=delivered")).Count == ids.Count);

        receiver.Accepted.Select(r => r.EventId).ShouldBe(ids);
        // Never ahead of the event being retried: each event is tried until it succeeds before the next one.
        receiver.Received.Select(r => r.EventId).Distinct().ShouldBe(ids);
        var log = await DeliveriesAsync(subscription.Id);
        log.ShouldAllBe(d => d.Status == DeliveryStatus.Delivered && d.Attempts == 3);
        log[0].Log.Select(a => a.StatusCode).ShouldBe([503, 503, 200]);
        await DeleteAsync(subscription.Id);
    }

    [Fact]
    public async Task A_receiver_that_always_fails_ends_in_dead_letters_which_redeliver_once_it_recovers()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = _ => 500;
        var subscription = await SubscribeAsync(new { url = receiver.Url, types = new[] { "service_went_live" } });
        var (_, ids) = await RecordJourneyAsync("Broken");
        var goLives = new[] { ids[2], ids[4] };

        await api.DispatchUntilAsync(async () => (await DeliveriesAsync(subscription.Id, "?status=dead_lettered")).Count == 2);
        receiver.Received.Count.ShouldBe(2 * SubscriberFixture.MaxAttempts);
        var dead = await DeliveriesAsync(subscription.Id, "?status=dead_lettered");
        dead.Select(d => d.EventId).ShouldBe(goLives);
        dead.ShouldAllBe(d => d.Attempts == SubscriberFixture.MaxAttempts && d.Log.All(a => a.StatusCode == 500));

        // One redelivered alone, then the rest in bulk, once the receiver works again.
        receiver.Respond = _ => 200;
        var one = await Http.PostAsync($"/api/subscriptions/{subscription.Id}/deliveries/{dead[0].Id}/redeliver", null, Ct);
        await ApiClient.ExpectAsync(one, HttpStatusCode.Accepted);
        await api.DispatchUntilAsync(async () => (await DeliveriesAsync(subscription.Id, "?status=delivered")).Count == 1);
        var bulk = await Http.PostAsync($"/api/subscriptions/{subscription.Id}/deliveries/redeliver", null, Ct);
        await ApiClient.ExpectAsync(bulk, HttpStatusCode.Accepted);
        (await bulk.Content.ReadFromJsonAsync<RedeliveryAccepted>(Json, Ct))!.DeliveryIds.ShouldBe([dead[1].Id]);
        await api.DispatchUntilAsync(async () => (await DeliveriesAsync(subscription.Id, "?status=delivered")).Count == 2);

        receiver.Accepted.Select(r => r.EventId).ShouldBe(goLives);
        receiver.Accepted.Select(r => r.DeliveryId).ShouldBe(dead.Select(d => d.Id.ToString()));
        var again = await Http.PostAsync($"/api/subscriptions/{subscription.Id}/deliveries/{dead[0].Id}/redeliver", null, Ct);
        (await ApiClient.ProblemAsync(again, HttpStatusCode.Conflict)).GetProperty("rule").GetString().ShouldBe("dead-lettered");
        await DeleteAsync(subscription.Id);
    }

    [Fact]
    public async Task A_subscription_started_from_a_position_receives_exactly_the_events_after_it()
    {
        var (_, first) = await RecordJourneyAsync("Before");
        var position = await HighWaterMarkAfterCatchUpAsync();
        var (_, second) = await RecordJourneyAsync("After");
        await using var fromPosition = await WebhookReceiver.StartAsync();
        await using var fromBeginning = await WebhookReceiver.StartAsync();
        var atPosition = await SubscribeAsync(new { url = fromPosition.Url, start = position });
        var atBeginning = await SubscribeAsync(new { url = fromBeginning.Url, start = "beginning" });
        atPosition.StartedAfter.ShouldBe(position);
        var end = await HighWaterMarkAfterCatchUpAsync();

        await api.DispatchUntilAsync(async () =>
            (await Http.GetFromJsonAsync<SubscriptionView[]>("/api/subscriptions", Json, Ct))!.All(s => s.Position >= end && s.PendingDeliveryId is null));

        fromPosition.Accepted.Select(r => r.EventId).ShouldBe(second);
        fromPosition.Accepted.ShouldAllBe(r => r.Sequence > position);
        var all = fromBeginning.Accepted.Select(r => r.EventId).ToList();
        all.ShouldContain(first[0]);
        all.Where(id => first.Contains(id) || second.Contains(id)).ShouldBe([.. first, .. second]);
        fromBeginning.Accepted.Select(r => r.Sequence).ShouldBeInOrder(SortDirection.Ascending);
        await DeleteAsync(atPosition.Id);
        await DeleteAsync(atBeginning.Id);
    }

    [Fact]
    public async Task A_paused_subscription_receives_nothing_until_resumed_and_a_deleted_one_is_gone()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var subscription = await SubscribeAsync(new { url = receiver.Url });
        var paused = await Http.PostAsync($"/api/subscriptions/{subscription.Id}/pause", null, Ct);
        (await paused.Content.ReadFromJsonAsync<SubscriptionView>(Json, Ct))!.Status.ShouldBe(SubscriptionStatus.Paused);
        var (_, ids) = await RecordJourneyAsync("Paused");
        await HighWaterMarkAfterCatchUpAsync();
        await api.Dispatcher.DispatchAsync(Ct);
        receiver.Received.ShouldBeEmpty();

        await ApiClient.ExpectAsync(await Http.PostAsync($"/api/subscriptions/{subscription.Id}/resume", null, Ct), HttpStatusCode.OK);
        await api.DispatchUntilAsync(() => Task.FromResult(receiver.Accepted.Count == ids.Count));
        receiver.Accepted.Select(r => r.EventId).ShouldBe(ids);

        await DeleteAsync(subscription.Id);
        await ApiClient.ProblemAsync(await Http.GetAsync($"/api/subscriptions/{subscription.Id}", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_dispatch_pass_lets_go_of_its_lock_so_another_node_can_take_the_next_one()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var subscription = await SubscribeAsync(new { url = receiver.Url });
        var (_, ids) = await RecordJourneyAsync("Lock");
        await api.DispatchUntilAsync(() => Task.FromResult(receiver.Accepted.Count == ids.Count));

        // A session outside this node's pool stands for another node: the lock is free for it, not left on a pooled connection.
        await using var otherNode = new NpgsqlConnection(api.Database.ConnectionString);
        await otherNode.OpenAsync(Ct);
        var key = $"{api.Store.Options.DatabaseSchemaName}:webhook-dispatcher";
        await using var take = new NpgsqlCommand("select pg_try_advisory_lock(hashtext($1))", otherNode) { Parameters = { new() { Value = key } } };
        (await take.ExecuteScalarAsync(Ct)).ShouldBe(true);

        // While the other node holds it, this node's passes send nothing.
        var (_, later) = await RecordJourneyAsync("Held");
        await HighWaterMarkAfterCatchUpAsync();
        (await api.Dispatcher.DispatchAsync(Ct)).ShouldBe(0);
        receiver.Accepted.Count.ShouldBe(ids.Count);

        await using var release = new NpgsqlCommand("select pg_advisory_unlock(hashtext($1))", otherNode) { Parameters = { new() { Value = key } } };
        (await release.ExecuteScalarAsync(Ct)).ShouldBe(true);
        await api.DispatchUntilAsync(() => Task.FromResult(receiver.Accepted.Count == ids.Count + later.Count));
        await DeleteAsync(subscription.Id);
    }

    [Theory]
    [InlineData("""{"url":"not a url"}""", "url", "absolute-http-url")]
    [InlineData("""{"url":"ftp://example.org/hook"}""", "url", "absolute-http-url")]
    [InlineData("""{"url":"https://example.org/hook","types":["service_went_live","no_such_event"]}""", "types", "known-event-type")]
    [InlineData("""{"url":"https://example.org/hook","secret":"short"}""", "secret", "secret-length")]
    [InlineData("""{"url":"https://example.org/hook","start":"yesterday"}""", "start", "start")]
    [InlineData("""{"url":"https://example.org/hook","start":-4}""", "start", "start")]
    public async Task A_subscription_with_bad_input_is_refused_with_the_field_and_rule(string body, string field, string rule)
    {
        var problem = await ApiClient.ProblemAsync(await Http.PostAsync("/api/subscriptions", ApiClient.Body(body), Ct), HttpStatusCode.BadRequest);
        problem.GetProperty("field").GetString().ShouldBe(field);
        problem.GetProperty("rule").GetString().ShouldBe(rule);
    }

    [Fact]
    public async Task Unknown_subscriptions_and_deliveries_are_404_and_bad_filters_400()
    {
        var unknown = Guid.NewGuid();
        foreach (var request in new[]
        {
            new HttpRequestMessage(HttpMethod.Get, $"/api/subscriptions/{unknown}"),
            new HttpRequestMessage(HttpMethod.Post, $"/api/subscriptions/{unknown}/pause"),
            new HttpRequestMessage(HttpMethod.Post, $"/api/subscriptions/{unknown}/resume"),
            new HttpRequestMessage(HttpMethod.Delete, $"/api/subscriptions/{unknown}"),
            new HttpRequestMessage(HttpMethod.Get, $"/api/subscriptions/{unknown}/deliveries"),
            new HttpRequestMessage(HttpMethod.Post, $"/api/subscriptions/{unknown}/deliveries/redeliver"),
            new HttpRequestMessage(HttpMethod.Post, $"/api/subscriptions/{unknown}/deliveries/{Guid.NewGuid()}/redeliver"),
        })
        {
            (await ApiClient.ProblemAsync(await Http.SendAsync(request, Ct), HttpStatusCode.NotFound)).GetProperty("rule").GetString().ShouldBe("known-subscription");
        }

        var subscription = await SubscribeAsync(new { url = "https://example.org/hook" });
        await ApiClient.ExpectAsync(await Http.PostAsync($"/api/subscriptions/{subscription.Id}/pause", null, Ct), HttpStatusCode.OK);
        var noDelivery = await Http.PostAsync($"/api/subscriptions/{subscription.Id}/deliveries/{Guid.NewGuid()}/redeliver", null, Ct);
        (await ApiClient.ProblemAsync(noDelivery, HttpStatusCode.NotFound)).GetProperty("rule").GetString().ShouldBe("known-delivery");
        var badStatus = await Http.GetAsync($"/api/subscriptions/{subscription.Id}/deliveries?status=lost", Ct);
        (await ApiClient.ProblemAsync(badStatus, HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("status");
        await DeleteAsync(subscription.Id);
    }

    [Fact]
    public async Task The_global_log_pages_through_every_event_after_a_position()
    {
        var position = await HighWaterMarkAfterCatchUpAsync();
        var (innovation, ids) = await RecordJourneyAsync("Paged");
        await HighWaterMarkAfterCatchUpAsync();

        var seen = new List<JsonElement>();
        var after = position;
        for (var pages = 0; pages < 10; pages++)
        {
            var page = await Http.GetFromJsonAsync<JsonElement>($"/api/events?after={after}&limit=2", Ct);
            var events = page.GetProperty("events").EnumerateArray().ToList();
            seen.AddRange(events);
            var next = page.GetProperty("next").GetInt64();
            if (next == after)
            {
                break;
            }

            after = next;
        }

        seen.Select(e => e.GetProperty("id").GetGuid()).ShouldBe(ids);
        seen.ShouldAllBe(e => e.GetProperty("subject").GetString() == innovation.ToString());
        seen.Select(e => e.GetProperty("sequence").GetInt64()).ShouldBeInOrder();

        var filtered = await Http.GetFromJsonAsync<GlobalLogPage>($"/api/events?after={position}&types=service_went_live", Json, Ct);
        filtered!.Events.Select(e => e.Id).ShouldBe([ids[2], ids[4]]);
        var family = await Http.GetFromJsonAsync<GlobalLogPage>($"/api/events?after={position}&types=origin.*", Json, Ct);
        family!.Events.Select(e => e.Id).ShouldBe([ids[0]]);

        foreach (var (query, field) in new[] { ("limit=0", "limit"), ("limit=5000", "limit"), ("after=-1", "after"), ("types=nonsense", "types") })
        {
            var refused = await Http.GetAsync($"/api/events?{query}", Ct);
            (await ApiClient.ProblemAsync(refused, HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe(field);
        }
    }

    [Fact]
    public async Task The_live_stream_sends_new_events_and_resumes_after_Last_Event_ID()
    {
        var position = await HighWaterMarkAfterCatchUpAsync();
        var (_, ids) = await RecordJourneyAsync("Streamed");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var received = new List<ServerSentEvent>();
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/api/events/stream"))
        {
            request.Headers.Add("Last-Event-ID", position.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
            using var reader = new ServerSentEventReader(await response.Content.ReadAsStreamAsync(timeout.Token));
            for (var i = 0; i < 3; i++)
            {
                received.Add(await reader.NextAsync(timeout.Token));
            }
        }

        // Reconnect after the third, as EventSource does, with its id.
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/api/events/stream"))
        {
            request.Headers.Add("Last-Event-ID", received[^1].Id);
            using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            using var reader = new ServerSentEventReader(await response.Content.ReadAsStreamAsync(timeout.Token));
            for (var i = 0; i < 2; i++)
            {
                received.Add(await reader.NextAsync(timeout.Token));
            }
        }

        var cloudEvents = received.Select(e => JsonDocument.Parse(e.Data).RootElement).ToList();
        cloudEvents.Select(c => c.GetProperty("id").GetGuid()).ShouldBe(ids);
        received.Select(e => e.Id).ShouldBe(cloudEvents.Select(c => c.GetProperty("sequence").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture)));
        received.Select(e => e.Event).ShouldBe(["innovation_registered", "adoption_decided", "service_went_live", "adoption_decided", "service_went_live"]);

        var bad = new HttpRequestMessage(HttpMethod.Get, "/api/events/stream");
        bad.Headers.Add("Last-Event-ID", "yesterday");
        (await ApiClient.ProblemAsync(await Http.SendAsync(bad, Ct), HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("Last-Event-ID");
    }
}
