using EventProcessors.Processing.Hosting;
using Microsoft.Extensions.Configuration;
using RabbitMQ.Client;

namespace EventProcessors.FunctionApp.Hosting;

/// <summary>Publishes one message to an exchange and returns only once the broker confirmed it.</summary>
public interface IOutboxPublisher
{
    Task PublishAsync(string exchange, string routingKey, string messageId, string contentType, ReadOnlyMemory<byte> body, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, object?>? headers = null);
}

/// <summary>
/// <see cref="IOutboxPublisher"/> over RabbitMQ.Client 7: one connection (from the <c>RabbitMQConnection</c>
/// setting) and one channel with publisher confirmations and their tracking enabled, so
/// <c>BasicPublishAsync</c> completes when the broker has confirmed the message and throws when it nacks.
/// Thread-safe: the connection is opened once, publishes are serialized on the channel, and a closed channel
/// is replaced on the next publish.
/// </summary>
public sealed class RabbitMQOutboxPublisher(IConfiguration configuration) : IOutboxPublisher, IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;
    private IChannel? _channel;

    public async Task PublishAsync(string exchange, string routingKey, string messageId, string contentType, ReadOnlyMemory<byte> body, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, object?>? headers = null)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var channel = await ChannelAsync(cancellationToken).ConfigureAwait(false);
            var properties = new BasicProperties
            {
                MessageId = messageId,
                ContentType = contentType,
                DeliveryMode = DeliveryModes.Persistent,
                Timestamp = new AmqpTimestamp(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
                Headers = headers?.ToDictionary(h => h.Key, h => h.Value),
            };
            await channel.BasicPublishAsync(exchange, routingKey, mandatory: false, properties, body, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<IChannel> ChannelAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } open) return open;
        if (_connection is not { IsOpen: true })
        {
            if (_connection is not null) await _connection.DisposeAsync().ConfigureAwait(false);
            var uri = configuration[SettingNames.RabbitMQConnection] is { Length: > 0 } value
                ? value
                : throw new InvalidOperationException($"The setting {SettingNames.RabbitMQConnection} (AMQP URI) is not set.");
            var factory = new ConnectionFactory { Uri = new Uri(uri), ClientProvidedName = "event-processors.route-outbox" };
            _connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        if (_channel is not null) await _channel.DisposeAsync().ConfigureAwait(false);
        _channel = await _connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            cancellationToken).ConfigureAwait(false);
        return _channel;
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is not null) await _channel.DisposeAsync().ConfigureAwait(false);
        if (_connection is not null) await _connection.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
