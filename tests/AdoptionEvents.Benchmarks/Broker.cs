using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace AdoptionEvents.Benchmarks;

/// <summary>
/// A private RabbitMQ node for the run (deploy/scripts/local-rabbitmq.sh), stopped and deleted at the
/// end; or a broker given by ADOPTIONEVENTS_BENCH_RABBITMQ, left alone.
/// </summary>
public sealed class Broker : IAsyncDisposable
{
    public const string UriVariable = "ADOPTIONEVENTS_BENCH_RABBITMQ";
    private const string Server = "/usr/lib/rabbitmq/bin/rabbitmq-server";

    private readonly string? _directory;
    private readonly string _script;

    private Broker(string uri, string? directory, string script) => (Uri, _directory, _script) = (uri, directory, script);

    public string Uri { get; }

    /// <summary>The private node's Erlang VM (its pid file), whose processor time the harness counts; null for a configured broker.</summary>
    public int? Pid => _directory is not null && File.Exists(Path.Combine(_directory, "rabbit.pid"))
        && int.TryParse(File.ReadAllText(Path.Combine(_directory, "rabbit.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture, out var pid) ? pid : null;

    /// <summary>The broker, or why there is none (then f is not run).</summary>
    public static async Task<(Broker? Broker, string? WhyNot)> StartAsync(string script, CancellationToken ct)
    {
        if (Environment.GetEnvironmentVariable(UriVariable) is { Length: > 0 } uri)
        {
            return (new Broker(uri, null, script), null);
        }

        if (!File.Exists(Server))
        {
            return (null, $"RabbitMQ is not installed ({Server} missing; `bash deploy/scripts/local-rabbitmq.sh install` or set {UriVariable})");
        }

        var directory = Path.Combine(Path.GetTempPath(), $"adoption-events-bench-rabbitmq-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            var output = await ScriptAsync(script, ct, "start", directory);
            return (new Broker(output.Trim().Split('\n')[^1].Trim(), directory, script), null);
        }
        catch (InvalidOperationException e)
        {
            await StopAsync(script, directory);
            // The script's whole account (each attempt, the tail of rabbitmqctl's wait and the server's output): the
            // node's directory is deleted with it.
            var account = string.Join(" / ", e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            return (null, $"the private RabbitMQ node did not start: {(account.Length > 2000 ? account[..2000] + " ..." : account)}");
        }
    }

    private static async Task<string> ScriptAsync(string script, CancellationToken ct, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        await process.WaitForExitAsync(ct);
        return process.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"local-rabbitmq.sh {string.Join(' ', args)} failed ({process.ExitCode}): {await error}{await output}");
    }

    private static async Task StopAsync(string script, string directory)
    {
        try
        {
            await ScriptAsync(script, CancellationToken.None, "stop", directory);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_directory is not null)
        {
            await StopAsync(_script, _directory);
        }
    }
}

/// <summary>One CloudEvent as the consumer saw it: its id, subject (innovation), recorded time, and when it arrived.</summary>
public sealed record Receipt(Guid EventId, string Subject, DateTimeOffset RecordedAt, DateTimeOffset ReceivedAt);

/// <summary>An integrating service: a queue bound to every routing key of the exchange, auto-acknowledged.</summary>
public sealed class LagConsumer : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;

    private LagConsumer(IConnection connection, IChannel channel) => (_connection, _channel) = (connection, channel);

    /// <summary>Sized for c's commands at the start: resizing it while c runs would put new arrays on the large object heap.</summary>
    public ConcurrentDictionary<Guid, Receipt> Received { get; } = new(concurrencyLevel: 4, capacity: 1 << 18);

    public static async Task<LagConsumer> OpenAsync(string uri, string exchange, CancellationToken ct)
    {
        var connection = await new ConnectionFactory { Uri = new Uri(uri), ClientProvidedName = "adoption-events benchmark consumer" }.CreateConnectionAsync(ct);
        var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: ct);
        var queue = await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true, cancellationToken: ct);
        await channel.QueueBindAsync(queue.QueueName, exchange, "#", cancellationToken: ct);
        var consumer = new LagConsumer(connection, channel);
        var basic = new AsyncEventingBasicConsumer(channel);
        basic.ReceivedAsync += (_, delivery) =>
        {
            var now = DateTimeOffset.UtcNow;
            using var json = JsonDocument.Parse(delivery.Body);
            var root = json.RootElement;
            var id = root.GetProperty("id").GetGuid();
            consumer.Received.TryAdd(id, new Receipt(id, root.GetProperty("subject").GetString() ?? "", root.GetProperty("time").GetDateTimeOffset(), now));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue.QueueName, autoAck: true, basic, ct);
        return consumer;
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
