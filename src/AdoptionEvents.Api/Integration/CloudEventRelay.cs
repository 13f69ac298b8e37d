using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using RabbitMQ.Client.Exceptions;
using Wolverine;
using Wolverine.Marten.Subscriptions;

namespace AdoptionEvents.Integration;

/// <summary>
/// The ordered publisher to RabbitMQ, registered only when a broker is configured: Marten's async daemon
/// hands it every committed event in global sequence order, a page at a time, and stores its progress only
/// after the page is handled. It publishes each event, confirmed by the broker, before returning; while the
/// broker is away it retries with backoff and the page is not done, so the daemon's progress does not
/// move: the event store is the outbox, nothing is lost and the order holds (Wolverine's durable outbox
/// was tried first: after an outage it re-sent the stored messages out of order). A crash between a
/// confirm and the stored progress sends those events again: at least once, the CloudEvent id names
/// duplicates.
/// </summary>
public sealed partial class CloudEventRelay(IntegrationSettings settings, RabbitMqPublisher publisher, TimeProvider clock, ILogger<CloudEventRelay> logger)
    : BatchSubscription(Name)
{
    public const string Name = "IntegrationRelay";

    public override async Task ProcessEventsAsync(EventRange page, ISubscriptionController controller, IDocumentOperations operations, IMessageBus bus, CancellationToken cancellationToken)
    {
        if (page.Events.Select(e => CloudEvents.From(e, settings.Source)).OfType<CloudEvent>().ToList() is { Count: > 0 } cloudEvents)
        {
            await PublishUntilConfirmedAsync(cloudEvents, cancellationToken);
        }
    }

    /// <summary>After any failure the whole page again, in page order: an event may reach the broker twice (at least once; its CloudEvent id names duplicates).</summary>
    private async Task PublishUntilConfirmedAsync(List<CloudEvent> cloudEvents, CancellationToken ct)
    {
        var wait = settings.RabbitMq.RetryBackoff;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await publisher.PublishAsync(cloudEvents, ct);
                return;
            }
            catch (Exception e) when (e is RabbitMQClientException or IOException or TimeoutException or System.Net.Sockets.SocketException
                                      || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                LogBrokerAway(logger, cloudEvents[0].Sequence, cloudEvents.Count, attempt, wait, e);
                await Task.Delay(wait, clock, ct);
                wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, settings.RabbitMq.MaxRetryBackoff.Ticks));
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "RabbitMQ did not confirm the page of {Count} events from {Sequence} (attempt {Attempt}); the relay holds its position and retries in {Wait}")]
    private static partial void LogBrokerAway(ILogger logger, long sequence, int count, int attempt, TimeSpan wait, Exception e);
}

/// <summary>
/// The relay publishes what is appended from the moment a broker is configured, then resumes from its own position
/// after any stop: on its first run (no stored position) its position is set to the high-water mark, before the
/// daemon starts. A mark of 0 (nothing appended yet) is not stored: the daemon stores a shard's first position
/// itself, with an insert that a row already there would refuse (the relay then failed its first page on a new
/// database). History stays readable through the global log and webhooks started from any position.
/// </summary>
public sealed class RelayOrigin(IDocumentStore store, ILogger<RelayOrigin> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.Storage.Database.EnsureStorageExistsAsync(typeof(JasperFx.Events.IEvent), cancellationToken);
        var schema = store.Options.Events.DatabaseSchemaName;
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        await using var seed = new Npgsql.NpgsqlCommand(
            $"insert into {schema}.mt_event_progression (name, last_seq_id) " +
            $"select $1, last_seq_id from {schema}.mt_event_progression where name = 'HighWaterMark' and last_seq_id > 0 " +
            "on conflict (name) do nothing returning last_seq_id", connection)
        {
            Parameters = { new() { Value = CloudEventRelay.Name + ":All" } },
        };
        if (await seed.ExecuteScalarAsync(cancellationToken) is long origin)
        {
            logger.LogInformation("The RabbitMQ relay starts here: it publishes events after sequence {Sequence}", origin);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
