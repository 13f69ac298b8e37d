using AdoptionEvents.Integration.Webhooks;
using Marten;
using Wolverine.Marten;

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
        // Resolved by WebhookSecretSealing at start-up, so a key that is not 32 bytes stops the process with one line.
        services.AddSingleton(sp => WebhookSecrets.Resolve(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<IHostEnvironment>()));
        services.AddSingleton<WebhookSecretSealing>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookSecretSealing>());
        services.AddSingleton<WebhookDispatcher>();
        services.AddHostedService<WebhookDispatchLoop>();
        services.AddHostedService<HighWaterSignal>();
        services.AddHttpClient(WebhookDispatcher.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<Hosting.Security.WebhookTargets>().Handler());
        services.ConfigureMarten(options =>
        {
            options.Schema.For<WebhookSubscription>();
            options.Schema.For<WebhookCursor>();
            options.Schema.For<WebhookDelivery>().Index(d => d.SubscriptionId).Index(d => d.Sequence);
        });

        // Subscribers should not wait for the daemon's idle polling (1 s): an append wakes it, spaced under load.
        services.AddSingleton<IConfigureMarten>(new WakeOnAppend(settings));

        // The relay runs in the async daemon: strictly ordered, resumed from its stored progress after a restart.
        // Without a broker it has nothing to do, and is not registered: it would load every page of events to no end
        // (measured: a bulk import of 445,027 events took 67.1 s beside it, 55.5 s without). Once a broker is configured
        // it publishes from then on (RelayOrigin).
        services.AddSingleton<RabbitMqPublisher>();
        if (settings.RabbitMq.Enabled)
        {
            // First among the hosted services, so the relay's first position is set before the daemon starts it.
            services.Insert(0, ServiceDescriptor.Singleton<IHostedService, RelayOrigin>());
            services.SubscribeToEventsWithServices<CloudEventRelay>(ServiceLifetime.Singleton);
        }
        return builder;
    }

    private sealed class WakeOnAppend(IntegrationSettings settings) : IConfigureMarten
    {
        public void Configure(IServiceProvider services, StoreOptions options) => DaemonWakeup.Configure(services, options, settings);
    }
}
