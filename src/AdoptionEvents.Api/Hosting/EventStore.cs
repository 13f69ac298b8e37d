using AdoptionEvents.Hosting.Database;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.ReadModels.SiteRegister;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.OpenTelemetry;
using Marten;
using Wolverine;
using Weasel.Core;
using Wolverine.Marten;

namespace AdoptionEvents.Hosting;

public enum DaemonDistribution
{
    /// <summary>This node runs every async projection: one node alone.</summary>
    Solo,

    /// <summary>Several nodes; one holds a lock and runs every projection, the others stand by.</summary>
    HotCold,

    /// <summary>Several nodes; Wolverine spreads the projections among the live nodes.</summary>
    Distributed,

    /// <summary>This node runs no async projection or subscription (a write node): another node, in any mode above, runs them.</summary>
    None,
}

public static class EventStore
{
    /// <summary>Marten (events and documents) and Wolverine (handlers, HTTP, outbox) on the provisioned database.</summary>
    public static WebApplicationBuilder AddEventStore(this WebApplicationBuilder builder, params Action<StoreOptions>[] modules)
    {
        var settings = builder.Configuration.ReadDatabaseSettings();
        var distribution = builder.Configuration.GetValue("Projections:Daemon", DaemonDistribution.Solo);
        var polling = builder.Configuration.GetValue<int?>("Projections:PollingMilliseconds");
        var stuckGaps = StuckGapSkip.From(builder.Configuration);
        builder.Services.AddProvisionedDatabase(builder.Configuration, builder.Environment);

        var marten = builder.Services.AddMarten(sp =>
            {
                var options = new StoreOptions();
                options.Connection(settings.ForStore(sp.GetRequiredService<ProvisionedDatabase>().ConnectionString));
                options.DatabaseSchemaName = settings.Schema;
                options.Events.StreamIdentity = StreamIdentity.AsGuid;
                options.Events.MetadataConfig.CorrelationIdEnabled = true;
                options.Events.MetadataConfig.CausationIdEnabled = true;
                options.Events.MetadataConfig.HeadersEnabled = true;
                options.Events.MetadataConfig.UserNameEnabled = true;
                // The event index keeps only the events found by content: any other is looked up by id in mt_events.
                options.Events.EnableUniqueIndexOnEventId = true;
                options.Serializer(new StoreJsonSerializer(EnumStorage.AsString, Casing.CamelCase, Json.ConfigureStore));
                if (polling is > 0)
                {
                    // How often the daemon looks for new events (busy or quiet): each look hands every projection a page.
                    options.Projections.FastPollingTime = options.Projections.SlowPollingTime = TimeSpan.FromMilliseconds(polling.Value);
                }

                options.Projections.SkipStaleGapsDespiteLiveTransactionsAfter = stuckGaps.After;
                options.OpenTelemetry.TrackConnections = TrackLevel.Normal;
                options.OpenTelemetry.TrackEventCounters();
                foreach (var module in modules)
                {
                    module(options);
                }

                return options;
            })
            .UseLightweightSessions()
            .ApplyAllDatabaseChangesOnStartup()
            .IntegrateWithWolverine(wolverine =>
            {
                wolverine.MessageStorageSchemaName = settings.Schema + "_wolverine";
                wolverine.UseWolverineManagedEventSubscriptionDistribution = distribution == DaemonDistribution.Distributed;
            });

        // After Marten's own start-up work, which applies the schema.
        builder.Services.AddHostedService<JsonbCompression>();
        builder.Services.AddHostedService<JourneyLedgerUpgrade>();
        builder.Services.AddHostedService<JourneyUpgrade>();
        builder.Services.AddHostedService<SiteRegisterUpgrade>();
        builder.Services.AddHostedService<EventIndexUpgrade>();

        // Wolverine-managed distribution starts the projection agents itself; a Marten daemon beside it fails startup.
        if (distribution is DaemonDistribution.Solo or DaemonDistribution.HotCold)
        {
            marten.AddAsyncDaemon(distribution == DaemonDistribution.HotCold ? DaemonMode.HotCold : DaemonMode.Solo);
            // A shard whose progress a read-model build moved under it is started again instead of staying stopped.
            builder.Services.AddHostedService<ReadModels.Building.ShardRecovery>();
        }

        builder.Host.UseWolverine(options =>
        {
            options.ApplicationAssembly = typeof(EventStore).Assembly;
            options.UseRuntimeCompilation();
            options.Policies.AutoApplyTransactions();
            options.Policies.UseDurableLocalQueues();
        });
        return builder;
    }
}
