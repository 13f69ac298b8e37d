using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using AdoptionEvents.IntegrationTests.Infrastructure;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace AdoptionEvents.IntegrationTests.Integration;

/// <summary>
/// A real RabbitMQ for the broker tests: the node .ci/run started (ADOPTIONEVENTS_TEST_RABBITMQ_DIR), a
/// broker given by URI (ADOPTIONEVENTS_TEST_RABBITMQ; then it cannot be stopped and restarted), or a
/// private node this fixture starts with deploy/scripts/local-rabbitmq.sh and stops at the end.
/// </summary>
public sealed class RabbitBroker : IAsyncDisposable
{
    public const string UriVariable = "ADOPTIONEVENTS_TEST_RABBITMQ";
    public const string DirectoryVariable = "ADOPTIONEVENTS_TEST_RABBITMQ_DIR";

    private string? _directory;
    private bool _owned;

    public string Uri { get; private set; } = "";

    /// <summary>True when this run controls the node, so a test can take it down and bring it back.</summary>
    public bool CanRestart => _directory is not null;

    public async Task StartAsync()
    {
        if (Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } directory)
        {
            _directory = directory;
            Uri = (await File.ReadAllTextAsync(Path.Combine(directory, "uri"))).Trim();
            return;
        }

        if (Environment.GetEnvironmentVariable(UriVariable) is { Length: > 0 } uri)
        {
            Uri = uri;
            return;
        }

        _directory = TestDatabase.ThrowAwayDirectory() + "-rabbitmq";
        Directory.CreateDirectory(_directory);
        _owned = true;
        Uri = (await ScriptAsync("start", _directory)).Trim().Split('\n')[^1];
    }

    /// <summary>The broker stops serving (connections drop, queues stay on disk) until <see cref="StartAppAsync"/>.</summary>
    public Task StopAppAsync() => ScriptAsync("ctl", _directory!, "stop_app");

    public Task StartAppAsync() => ScriptAsync("ctl", _directory!, "start_app");

    private static async Task<string> ScriptAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Script());
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"local-rabbitmq.sh {string.Join(' ', args)} failed ({process.ExitCode}): {await output}{await error}");
    }

    private static string Script()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var script = Path.Combine(dir.FullName, "deploy", "scripts", "local-rabbitmq.sh");
            if (File.Exists(script))
            {
                return script;
            }
        }

        throw new FileNotFoundException("deploy/scripts/local-rabbitmq.sh not found above the test binaries");
    }

    public async ValueTask DisposeAsync()
    {
        if (_owned && _directory is not null)
        {
            await ScriptAsync("stop", _directory);
            Directory.Delete(_directory, recursive: true);
        }
    }
}

public sealed record BrokerMessage(string RoutingKey, string Body, bool Persistent, long ReceivedAt)
{
    public JsonElement CloudEvent => JsonDocument.Parse(Body).RootElement;

    public Guid EventId => CloudEvent.GetProperty("id").GetGuid();
}

/// <summary>A durable queue bound to the exchange, read the way an integrating service would (manual acks).</summary>
public sealed class QueueReader : IAsyncDisposable
{
    private readonly Channel<BrokerMessage> _messages = Channel.CreateUnbounded<BrokerMessage>();
    private IConnection? _connection;
    private IChannel? _channel;

    private QueueReader(string uri, string queue) => (Uri, Queue) = (uri, queue);

    public string Uri { get; }

    public string Queue { get; }

    /// <summary>Declares the queue, binds it to <paramref name="exchange"/> with <paramref name="bindingKey"/>, and starts consuming.</summary>
    public static async Task<QueueReader> OpenAsync(string uri, string exchange, string bindingKey)
    {
        var reader = new QueueReader(uri, $"test-{Guid.NewGuid():N}");
        await reader.ConnectAsync(channel => Bind(channel, reader.Queue, exchange, bindingKey));
        return reader;
    }

    private static async Task Bind(IChannel channel, string queue, string exchange, string bindingKey)
    {
        var ct = TestContext.Current.CancellationToken;
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: ct);
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, cancellationToken: ct);
        await channel.QueueBindAsync(queue, exchange, bindingKey, cancellationToken: ct);
    }

    /// <summary>After the broker came back: a new connection to the same queue.</summary>
    public async Task ReconnectAsync()
    {
        await CloseAsync();
        await ConnectAsync(_ => Task.CompletedTask);
    }

    private async Task ConnectAsync(Func<IChannel, Task> prepare)
    {
        var ct = TestContext.Current.CancellationToken;
        _connection = await new ConnectionFactory { Uri = new Uri(Uri) }.CreateConnectionAsync(ct);
        _channel = await _connection.CreateChannelAsync(cancellationToken: ct);
        await prepare(_channel);
        var consumer = new AsyncEventingBasicConsumer(_channel);
        var channel = _channel;
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            await _messages.Writer.WriteAsync(new BrokerMessage(delivery.RoutingKey, Encoding.UTF8.GetString(delivery.Body.Span),
                delivery.BasicProperties.Persistent, Stopwatch.GetTimestamp()));
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
        };
        await _channel.BasicConsumeAsync(Queue, autoAck: false, consumer, ct);
    }

    /// <summary>Reads until <paramref name="done"/> holds over everything read so far; fails after the timeout.</summary>
    public async Task<List<BrokerMessage>> ReadUntilAsync(List<BrokerMessage> read, Func<List<BrokerMessage>, bool> done, TimeSpan? timeout = null)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            while (!done(read))
            {
                read.Add(await _messages.Reader.ReadAsync(limit.Token));
            }
        }
        catch (OperationCanceledException)
        {
            throw new ShouldAssertException($"the queue did not get what was expected in time; it got {read.Count} messages: {string.Join(", ", read.Select(m => m.RoutingKey))}");
        }

        return read;
    }

    private async Task CloseAsync()
    {
        if (_channel is not null)
        {
            await _channel.DisposeAsync();
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is { IsOpen: true })
        {
            await _channel.QueueDeleteAsync(Queue);
        }

        await CloseAsync();
    }
}
