using AdoptionEvents.Integration.Webhooks;
using Marten;
using Wolverine;
using Wolverine.Marten;
using Wolverine.RabbitMQ;

namespace AdoptionEvents.Integration;

public static class Configuration
{
    /// <summary>
    /// Subscribers: every committed journey event as a CloudEvent, in order, to RabbitMQ (when
    /// Integration:RabbitMq:Uri or ConnectionStrings:RabbitMq is set), to webhook subscriptions, to a live
    /// Server-Sent Events stream and through a pollable log.
    /// </summary>
    public static WebApplicationBuilder AddIntegration(this WebApplicationBuilder builder)
    {
        var settings = IntegrationSettings.Read(builder.Configuration);
        var signal = new EventSignal();
        var services = builder.Services;
        services.AddSingleton(settings);
        services.AddSingleton(signal);
        services.AddSingleton<GlobalLog>();
        services.AddSingleton<WebhookDispatcher>();
        services.AddHostedService<WebhookDispatchLoop>();
        services.AddHttpClient(WebhookDispatcher.HttpClientName);
        services.ConfigureMarten(options =>
        {
            options.Schema.For<WebhookSubscription>();
            options.Schema.For<WebhookCursor>();
            options.Schema.For<WebhookDelivery>().Index(d => d.SubscriptionId).Index(d => d.Sequence);
        });

        // The relay runs in the async daemon: strictly ordered, resumed from its stored progress after a restart.
        services.SubscribeToEvents(new CloudEventRelay(settings, signal));

        if (!string.IsNullOrWhiteSpace(settings.RabbitMq.Uri))
        {
            var exchange = settings.RabbitMq.Exchange;
            services.ConfigureWolverine(options =>
            {
                options.UseRabbitMq(new Uri(settings.RabbitMq.Uri))
                    .AutoProvision()
                    .DeclareExchange(exchange, e => e.ExchangeType = ExchangeType.Topic);

                // Durable: the message is stored with the relay's progress and sent, with retries, when the broker answers.
                options.PublishMessagesToRabbitMqExchange<CloudEvent>(exchange, e => e.RoutingKey).UseDurableOutbox();
            });
        }

        return builder;
    }
}
