namespace AdoptionEvents.Integration;

/// <summary>The "Integration" configuration section.</summary>
public sealed record IntegrationSettings
{
    public string Source { get; init; } = CloudEvents.DefaultSource;

    /// <summary>PostgreSQL LISTEN/NOTIFY wakes the async daemon when events are appended, instead of its polling alone.</summary>
    public bool WakeDaemonOnAppend { get; init; } = true;

    /// <summary>With <see cref="WakeDaemonOnAppend"/>: the daemon looks for new events at most this often however often commits wake it.</summary>
    public TimeSpan WakeSpacing { get; init; } = TimeSpan.FromMilliseconds(100);

    public RabbitMqSettings RabbitMq { get; init; } = new();

    public WebhookSettings Webhooks { get; init; } = new();

    public LiveStreamSettings Stream { get; init; } = new();

    /// <summary>The section, with ConnectionStrings:RabbitMq standing in for Integration:RabbitMq:Uri.</summary>
    public static IntegrationSettings Read(IConfiguration configuration)
    {
        var settings = configuration.GetSection("Integration").Get<IntegrationSettings>() ?? new IntegrationSettings();
        return string.IsNullOrWhiteSpace(settings.RabbitMq.Uri) && configuration.GetConnectionString("RabbitMq") is { Length: > 0 } uri
            ? settings with { RabbitMq = settings.RabbitMq with { Uri = uri } }
            : settings;
    }
}

public sealed record RabbitMqSettings
{
    /// <summary>amqp://user:password@host:port/vhost; empty turns the broker publisher off.</summary>
    public string? Uri { get; init; }

    /// <summary>A broker is configured: the relay publishes to it.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Uri);

    public string Exchange { get; init; } = "adoption-events";

    /// <summary>Wait before publishing again after the broker failed; doubles up to MaxRetryBackoff.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxRetryBackoff { get; init; } = TimeSpan.FromSeconds(30);
}

public sealed record WebhookSettings
{
    /// <summary>Failed attempts after which a delivery is dead-lettered and the subscription moves on.</summary>
    public int MaxAttempts { get; init; } = 8;

    /// <summary>Wait before the second attempt; doubles with each further attempt up to MaxBackoff.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(10);

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the dispatcher looks for new events when nothing wakes it sooner.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Events sent to one subscription per pass, at most.</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>Off: subscriptions are stored but only a caller of <see cref="Webhooks.WebhookDispatcher.DispatchAsync"/> delivers.</summary>
    public bool Dispatch { get; init; } = true;
}

public sealed record LiveStreamSettings
{
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A comment line sent when nothing happened for this long, so proxies keep the connection.</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(15);
}
