using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Hosting;
using Microsoft.Extensions.Configuration;
using RabbitMQ.Client;

namespace EventProcessors.FunctionApp.Hosting;

/// <summary>
/// One AMQP message as the Function App publishes it itself: the id, content type and headers it must keep, and a
/// per-message TTL (<c>expiration</c>) for the retry queues.
/// </summary>
public sealed record AmqpMessage(
    ReadOnlyMemory<byte> Body,
    string? MessageId,
    string? ContentType,
    IReadOnlyDictionary<string, string>? Headers = null,
    TimeSpan? Expiration = null);

/// <summary>Publishes messages and returns only once the broker confirmed every one of them (throws when one is nacked or the connection fails).</summary>
public interface IConfirmedPublisher
{
    Task PublishAsync(string exchange, string routingKey, IReadOnlyList<AmqpMessage> messages, CancellationToken cancellationToken);
}

/// <summary>
/// <see cref="IConfirmedPublisher"/> over RabbitMQ.Client 7: one connection (from the <c>RabbitMQConnection</c>
/// setting) and one channel with publisher confirmations and their tracking enabled, so <c>BasicPublishAsync</c>
/// completes when the broker has confirmed the message and throws when it nacks. The RabbitMQ output binding publishes
/// without confirms and without properties, so follow-ons, retries and dead letters go through here instead.
/// Thread-safe: publishes are serialized on the channel, and a closed channel or connection is replaced on the next publish.
/// </summary>
public sealed class RabbitMQConfirmedPublisher(IConfiguration configuration) : IConfirmedPublisher, IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;
    private IChannel? _channel;

    public async Task PublishAsync(string exchange, string routingKey, IReadOnlyList<AmqpMessage> messages, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var channel = await ChannelAsync(cancellationToken).ConfigureAwait(false);
            // Straight to a queue (outbox, retry) or through the dead-letter exchange the message must be routable: a missing
            // queue is returned and fails the publish. Through the topic exchange, an event type nobody subscribes to is dropped, as designed.
            var mandatory = exchange.Length == 0 || exchange == Destinations.DeadLetterExchange;
            foreach (var message in messages)
                await channel.BasicPublishAsync(exchange, routingKey, mandatory, Properties(message), message.Body, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // A failed publish may leave the channel in any state; the next caller starts on a fresh one.
            if (_channel is not null) await _channel.DisposeAsync().ConfigureAwait(false);
            _channel = null;
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static BasicProperties Properties(AmqpMessage message)
    {
        var properties = new BasicProperties
        {
            MessageId = message.MessageId,
            ContentType = message.ContentType,
            DeliveryMode = DeliveryModes.Persistent,
            Timestamp = new AmqpTimestamp(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
        };
        if (message.Headers is { Count: > 0 } headers)
            properties.Headers = headers.ToDictionary(h => h.Key, h => (object?)System.Text.Encoding.UTF8.GetBytes(h.Value), StringComparer.Ordinal);
        if (message.Expiration is { } ttl)
            properties.Expiration = ((long)Math.Max(1, ttl.TotalMilliseconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return properties;
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
            var factory = new ConnectionFactory { Uri = new Uri(uri), ClientProvidedName = "event-processors.function-app" };
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
