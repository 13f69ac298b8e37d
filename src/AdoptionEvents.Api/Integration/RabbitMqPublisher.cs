using System.Text;
using RabbitMQ.Client;

namespace AdoptionEvents.Integration;

/// <summary>
/// Publishes CloudEvents to the topic exchange, persistent, confirmed by the broker (publisher confirms).
/// A page of events goes out on one channel in order, and the page is done when the broker has confirmed
/// every one of them: the broker holds them in the order the relay passes them, and waiting for each confirm
/// in turn (a disk write on the broker each) would cap the relay at a few hundred events a second. The
/// connection is opened on first use and again after any failure.
/// </summary>
public sealed class RabbitMqPublisher(IntegrationSettings settings) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;
    private IChannel? _channel;

    public async Task PublishAsync(IReadOnlyList<CloudEvent> cloudEvents, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var channel = await ChannelAsync(ct);
            var confirms = new List<Task>(cloudEvents.Count);
            foreach (var cloudEvent in cloudEvents)
            {
                var properties = new BasicProperties
                {
                    Persistent = true,
                    ContentType = CloudEvent.MediaType,
                    MessageId = cloudEvent.Id.ToString(),
                    Type = cloudEvent.Type,
                    CorrelationId = cloudEvent.CorrelationId,
                    Timestamp = new AmqpTimestamp(cloudEvent.Time.ToUnixTimeSeconds()),
                };
                var body = Encoding.UTF8.GetBytes(CloudEvents.Serialize(cloudEvent));

                // Sent now, in this order; the task completes when the broker confirms this message.
                confirms.Add(channel.BasicPublishAsync(settings.RabbitMq.Exchange, cloudEvent.RoutingKey, mandatory: false, properties, body, ct).AsTask());
            }

            await Task.WhenAll(confirms);
        }
        catch
        {
            await ResetAsync();
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<IChannel> ChannelAsync(CancellationToken ct)
    {
        if (_channel is { IsOpen: true } open)
        {
            return open;
        }

        await ResetAsync();
        var factory = new ConnectionFactory { Uri = new Uri(settings.RabbitMq.Uri!), ClientProvidedName = "adoption-events relay", AutomaticRecoveryEnabled = false };
        _connection = await factory.CreateConnectionAsync(ct);
        _channel = await _connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
        await _channel.ExchangeDeclareAsync(settings.RabbitMq.Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: ct);
        return _channel;
    }

    private async Task ResetAsync()
    {
        var (channel, connection) = (_channel, _connection);
        (_channel, _connection) = (null, null);
        try
        {
            if (channel is not null)
            {
                await channel.DisposeAsync();
            }

            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
        catch (Exception e) when (e is IOException or RabbitMQ.Client.Exceptions.RabbitMQClientException or OperationCanceledException)
        {
            // The connection is gone already.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ResetAsync();
        _gate.Dispose();
    }
}
