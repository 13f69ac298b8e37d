using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Wolverine;
using Wolverine.Marten.Subscriptions;

namespace AdoptionEvents.Integration;

/// <summary>
/// The one ordered reader of new events: Marten's async daemon hands it every committed event in
/// global sequence order, a page at a time, and records its progress only after the page is handled.
/// With RabbitMQ configured it publishes each event as a CloudEvent through Wolverine's durable outbox
/// (the bus here is enlisted in the same transaction as the progress, so the messages are stored with
/// it and sent when the broker answers); it always wakes the in-process readers.
/// </summary>
public sealed class CloudEventRelay(IntegrationSettings settings, EventSignal signal) : BatchSubscription(Name)
{
    public const string Name = "IntegrationRelay";

    public override async Task ProcessEventsAsync(EventRange page, ISubscriptionController controller, IDocumentOperations operations, IMessageBus bus, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(settings.RabbitMq.Uri))
        {
            foreach (var e in page.Events)
            {
                if (CloudEvents.From(e, settings.Source) is { } cloudEvent)
                {
                    await bus.PublishAsync(cloudEvent);
                }
            }
        }

        signal.Pulse();
    }
}
