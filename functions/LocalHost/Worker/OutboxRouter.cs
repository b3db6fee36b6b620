using EventProcessors.Contracts;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.LocalHost.Transport;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Telemetry;
using Microsoft.Extensions.Logging;

namespace EventProcessors.LocalHost.Worker;

/// <summary>
/// RouteOutbox of flows.md, self-hosted: the Function App's RabbitMQ outputs can only reach a queue
/// (<c>collector-events.outbox</c>), so this republishes each of them to <c>collector-events</c> with routing key = type and
/// message_id = event id (confirmed), then acks. A message that is not a readable event is dead-lettered with its reason.
/// Running next to the Function App's own router is harmless: they compete for the same queue.
/// </summary>
public sealed class OutboxRouter(IMessageTransport transport, ITimelineObserver observer, WorkerOptions options, TimeProvider time, ILogger logger)
{
    public const string Name = "RouteOutbox";

    private readonly EnvelopeReader _reader = new();

    public Task<ISubscription> StartAsync(CancellationToken cancellationToken) =>
        transport.SubscribeAsync(Destinations.CollectorOutbox, options.Prefetch, HandleAsync, cancellationToken);

    public async Task HandleAsync(Delivery delivery, CancellationToken stopping)
    {
        try
        {
            var read = _reader.Read(delivery.Message);
            if (!read.IsSuccess)
            {
                var headers = delivery.RawHeaders.ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal);
                headers[DeadLetterHeaders.Reason] = read.Error.ToString();
                headers[DeadLetterHeaders.Code] = read.Error.Code.ToString();
                headers[DeadLetterHeaders.Consumer] = Name;
                headers[DeadLetterHeaders.OriginalExchange] = delivery.Exchange;
                headers[DeadLetterHeaders.OriginalRoutingKey] = delivery.RoutingKey;
                headers[DeadLetterHeaders.FirstDeathQueue] = delivery.Queue;
                await transport.PublishAsync(Destinations.DeadLetterExchange, Destinations.DeadLetterQueue(delivery.Queue),
                    new OutboundMessage(delivery.Message.Body, delivery.Message.ContentType, delivery.Message.MessageId, headers), stopping).ConfigureAwait(false);
                observer.Record(new TimelineEntry(time.GetUtcNow(), TimelineKind.DeadLettered, Name, delivery.Message.MessageId, delivery.RoutingKey, Detail: read.Error.ToString()));
                await delivery.AckAsync(stopping).ConfigureAwait(false);
                return;
            }
            var e = read.Value;
            using (var span = MessageTracing.StartPublish(transport.Name, Destinations.CollectorExchange, e))
                await transport.PublishAsync(Destinations.CollectorExchange, e.Type, OutboundMessage.From(e, span), stopping).ConfigureAwait(false);
            observer.Record(TimelineEntries.For(TimelineKind.Published, Name, e, time, exchange: Destinations.CollectorExchange));
            await delivery.AckAsync(stopping).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "RouteOutbox could not republish {MessageId}; it goes back to the queue.", delivery.Message.MessageId);
            try { await delivery.RequeueAsync(CancellationToken.None).ConfigureAwait(false); }
            catch (Exception) { /* the broker requeues it when the channel is gone */ }
        }
    }
}
