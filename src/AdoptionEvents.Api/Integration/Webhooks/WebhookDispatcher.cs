using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Marten;
using Npgsql;

namespace AdoptionEvents.Integration.Webhooks;

/// <summary>
/// Sends journey events to webhook subscriptions. Per subscription it walks the global log after its
/// cursor, one event at a time: event N+1 is not sent before N was delivered or dead-lettered, and the
/// cursor moves only after that outcome is stored (at least once: a crash between the POST and the store
/// sends it again, with the same X-AdoptionEvents-Delivery and CloudEvent id). A failed attempt is
/// retried with exponential backoff; after Integration:Webhooks:MaxAttempts it is dead-lettered.
/// Dead letters asked for again are retried beside the ordered walk. One node dispatches at a time
/// (a PostgreSQL advisory lock), so two nodes never send the same event twice at once.
/// </summary>
public sealed partial class WebhookDispatcher(
    IDocumentStore store, GlobalLog log, IHttpClientFactory clients, WebhookSecrets secrets, TimeProvider clock, IntegrationSettings settings, ILogger<WebhookDispatcher> logger)
    : IDisposable
{
    public const string HttpClientName = "AdoptionEvents.Webhooks";
    public const string SignatureHeader = "X-AdoptionEvents-Signature";
    public const string DeliveryHeader = "X-AdoptionEvents-Delivery";

    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    private WebhookSettings Settings => settings.Webhooks;

    public void Dispose() => _oneAtATime.Dispose();

    /// <summary>One pass over every active subscription: sends what is due; returns the number of attempts made.</summary>
    public async Task<int> DispatchAsync(CancellationToken ct)
    {
        await _oneAtATime.WaitAsync(ct);
        try
        {
            await using var gate = await TryLockAsync(ct);
            if (gate is null)
            {
                return 0;
            }

            await using var session = store.QuerySession();
            var subscriptions = await session.Query<WebhookSubscription>().Where(s => s.Status == SubscriptionStatus.Active).ToListAsync(ct);
            var attempts = await Task.WhenAll(subscriptions.Select(s => DispatchToAsync(s, ct)));
            return attempts.Sum();
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private async Task<DispatchLock?> TryLockAsync(CancellationToken ct)
    {
        var connection = (NpgsqlConnection)store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        // One lock per store schema: deployments (or test classes) in other schemas of the database dispatch on their own.
        var key = $"{((StoreOptions)store.Options).DatabaseSchemaName}:webhook-dispatcher";
        await using var command = new NpgsqlCommand("select pg_try_advisory_lock(hashtext($1))", connection) { Parameters = { new() { Value = key } } };
        if (await command.ExecuteScalarAsync(ct) is true)
        {
            return new DispatchLock(connection, key);
        }

        await connection.DisposeAsync();
        return null;
    }

    /// <summary>
    /// The session-level lock of one pass, released before its connection goes back to the pool. Closing alone
    /// would leave it on the pooled session until that connection's next use (Npgsql's reset is sent then, and not
    /// at all with <c>Database:ResetConnectionsOnReturn</c> off), and no pass meanwhile, here or on another node,
    /// would get it.
    /// </summary>
    private sealed class DispatchLock(NpgsqlConnection connection, string key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var unlock = new NpgsqlCommand("select pg_advisory_unlock(hashtext($1))", connection) { Parameters = { new() { Value = key } } };
                await unlock.ExecuteScalarAsync();
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }

    private async Task<int> DispatchToAsync(WebhookSubscription subscription, CancellationToken ct)
    {
        var attempts = await RedeliverAsync(subscription, ct);
        await using var session = store.LightweightSession();
        var cursor = await session.LoadAsync<WebhookCursor>(subscription.Id, ct) ?? new WebhookCursor { Id = subscription.Id, Position = subscription.StartedAfter };
        if (cursor.PendingDeliveryId is { } pendingId && await session.LoadAsync<WebhookDelivery>(pendingId, ct) is { } pending)
        {
            if (pending.NextAttemptAt > clock.GetUtcNow())
            {
                return attempts;
            }

            var cloudEvent = (await log.ReadAsync(pending.Sequence - 1, 1, [], ct)).Events.SingleOrDefault(e => e.Id == pending.EventId);
            var outcome = cloudEvent is null ? pending with { Status = DeliveryStatus.DeadLettered } : await AttemptAsync(subscription, pending, cloudEvent, ct);
            attempts++;
            if (!await SettleAsync(session, cursor, outcome, ct))
            {
                return attempts;
            }

            cursor = cursor with { Position = outcome.Sequence, PendingDeliveryId = null };
        }

        var page = await log.ReadAsync(cursor.Position, Settings.BatchSize, subscription.Types, ct);
        foreach (var cloudEvent in page.Events)
        {
            var delivery = new WebhookDelivery
            {
                Id = Guid.CreateVersion7(clock.GetUtcNow()), SubscriptionId = subscription.Id, EventId = cloudEvent.Id, Sequence = cloudEvent.Sequence,
                Type = cloudEvent.Type, CreatedAt = clock.GetUtcNow(),
            };
            var outcome = await AttemptAsync(subscription, delivery, cloudEvent, ct);
            attempts++;
            if (!await SettleAsync(session, cursor, outcome, ct))
            {
                return attempts;
            }

            cursor = cursor with { Position = cloudEvent.Sequence, PendingDeliveryId = null };
        }

        if (page.Next > cursor.Position)
        {
            // Events filtered out, or of other streams: passed over for good.
            session.Store(cursor with { Position = page.Next });
            await session.SaveChangesAsync(ct);
        }

        return attempts;
    }

    /// <summary>Stores the outcome; true when the cursor moved past the event, false when it waits for a retry.</summary>
    private static async Task<bool> SettleAsync(IDocumentSession session, WebhookCursor cursor, WebhookDelivery outcome, CancellationToken ct)
    {
        session.Store(outcome);
        var settled = outcome.Status != DeliveryStatus.Pending;
        session.Store(settled ? cursor with { Position = outcome.Sequence, PendingDeliveryId = null } : cursor with { PendingDeliveryId = outcome.Id });
        await session.SaveChangesAsync(ct);
        return settled;
    }

    private async Task<int> RedeliverAsync(WebhookSubscription subscription, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var now = clock.GetUtcNow();
        var due = await session.Query<WebhookDelivery>()
            .Where(d => d.SubscriptionId == subscription.Id && d.Redelivery && d.Status == DeliveryStatus.Pending)
            .OrderBy(d => d.Sequence)
            .ToListAsync(ct);
        var attempts = 0;
        foreach (var delivery in due.Where(d => d.NextAttemptAt is null || d.NextAttemptAt <= now))
        {
            var cloudEvent = (await log.ReadAsync(delivery.Sequence - 1, 1, [], ct)).Events.SingleOrDefault(e => e.Id == delivery.EventId);
            session.Store(cloudEvent is null ? delivery with { Status = DeliveryStatus.DeadLettered } : await AttemptAsync(subscription, delivery, cloudEvent, ct));
            attempts++;
        }

        await session.SaveChangesAsync(ct);
        return attempts;
    }

    private async Task<WebhookDelivery> AttemptAsync(WebhookSubscription subscription, WebhookDelivery delivery, CloudEvent cloudEvent, CancellationToken ct)
    {
        var body = CloudEvents.Serialize(cloudEvent);
        var at = clock.GetUtcNow();
        var started = Stopwatch.GetTimestamp();
        string secret;
        try
        {
            secret = subscription.SealedSecret is { } sealedSecret ? secrets.Open(subscription.Id, sealedSecret)
                : subscription.Secret ?? throw new WebhookSecretException($"subscription {subscription.Id} has no secret");
        }
        catch (WebhookSecretException e)
        {
            // Not sent unsigned: a failed attempt like any other, retried (the key may be configured meanwhile), then dead-lettered.
            return Failed(delivery, new DeliveryAttempt(at, null, e.Message, 0));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, subscription.Url)
        {
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue(CloudEvent.MediaType)),
        };
        request.Headers.Add(SignatureHeader, WebhookRules.Sign(secret, at, body));
        request.Headers.Add(DeliveryHeader, delivery.Id.ToString());
        request.Headers.Add("ce-id", cloudEvent.Id.ToString());
        request.Headers.Add("ce-type", cloudEvent.Type);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Settings.Timeout);
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var attempt = new DeliveryAttempt(at, (int)response.StatusCode, response.IsSuccessStatusCode ? null : response.ReasonPhrase,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return response.IsSuccessStatusCode ? WebhookRules.AfterSuccess(delivery, attempt) : Failed(delivery, attempt);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return Failed(delivery, new DeliveryAttempt(at, null, e is OperationCanceledException ? $"no answer within {Settings.Timeout}" : e.Message,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds));
        }
    }

    private WebhookDelivery Failed(WebhookDelivery delivery, DeliveryAttempt attempt)
    {
        var next = WebhookRules.AfterFailure(delivery, attempt, Settings);
        if (next.Status == DeliveryStatus.DeadLettered)
        {
            LogDeadLettered(logger, delivery.Id, delivery.EventId, delivery.SubscriptionId, next.Attempts);
        }

        return next;
    }

    [LoggerMessage(LogLevel.Warning, "Webhook delivery {DeliveryId} of event {EventId} to subscription {SubscriptionId} dead-lettered after {Attempts} attempts")]
    private static partial void LogDeadLettered(ILogger logger, Guid deliveryId, Guid eventId, Guid subscriptionId, int attempts);
}

/// <summary>Runs <see cref="WebhookDispatcher.DispatchAsync"/> whenever the relay passes new events, and every poll interval.</summary>
public sealed partial class WebhookDispatchLoop(WebhookDispatcher dispatcher, EventSignal signal, TimeProvider clock, IntegrationSettings settings, ILogger<WebhookDispatchLoop> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!settings.Webhooks.Dispatch)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = signal.WaitAsync(settings.Webhooks.PollInterval, clock, stoppingToken);
            try
            {
                await dispatcher.DispatchAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Whatever failed (the database away, a bug), the loop must outlive it: an escaping exception stops the host.
                LogPassFailed(logger, e);
            }

            await wake;
        }
    }

    [LoggerMessage(LogLevel.Warning, "A webhook dispatch pass failed; the next pass retries")]
    private static partial void LogPassFailed(ILogger logger, Exception e);
}
