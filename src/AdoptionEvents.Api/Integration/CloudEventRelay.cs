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
