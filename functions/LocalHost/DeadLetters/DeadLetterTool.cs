using System.Collections;
using System.Text;
using System.Text.Json;
using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Worker;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.LocalHost.DeadLetters;

/// <summary>One message in a dead-letter queue, as an operator reads it.</summary>
public sealed record DeadLetterInfo(
    string DeadLetterQueue,
    string? MessageId,
    string? EventType,
    string? Code,
    string Reason,
    string? Consumer,
    string? FirstDeathQueue,
    string? OriginalExchange,
    string? OriginalRoutingKey,
    int Replays,
    string BodyPreview);

/// <summary>Reads and replays one kind of dead letters: RabbitMQ's dead-letter queues or Kafka's dead-letter topic.</summary>
public interface IDeadLetterTool
{
    /// <summary>Up to <paramref name="limit"/> dead letters (per queue or action) of <paramref name="queue"/>, or of all; nothing is removed.</summary>
    Task<IReadOnlyList<DeadLetterInfo>> ListAsync(string? queue, int limit, CancellationToken cancellationToken);

    /// <summary>Sends them back where they died, marked as replays; returns what was replayed and what could not be.</summary>
    Task<(IReadOnlyList<DeadLetterInfo> Replayed, IReadOnlyList<DeadLetterInfo> Skipped)> ReplayAsync(string? queue, int limit, CancellationToken cancellationToken);
}

/// <summary>
/// Lists and replays dead letters: the worker's and the broker's (the message as it was, with dead-letter headers) and
/// the Function App's (a <see cref="CollectorDeadLetter"/> envelope around the original body). Listing takes each
/// message without acknowledging it and gives all of them back, so nothing moves. Replaying sends the original message
/// back to the queue it died in (through the default exchange, so no other consumer of its type sees it twice), with the
/// dead-letter headers and retry counters removed (its message id, content type and other headers kept), its original
/// routing kept and <c>x-replay-count</c> counted up, which lets the pipeline
/// run an event it had dead-lettered; the dead letter is acknowledged only after the broker confirmed the replay.
/// </summary>
public sealed class DeadLetterTool(IMessageTransport transport, TopologyDefinition topology) : IDeadLetterTool
{
    public async Task<IReadOnlyList<DeadLetterInfo>> ListAsync(string? queue, int limit, CancellationToken cancellationToken)
    {
        var result = new List<DeadLetterInfo>();
        foreach (var deadLetterQueue in QueuesFor(queue))
        {
            await using var batch = await TakeAsync(deadLetterQueue, limit, queue is null, cancellationToken).ConfigureAwait(false);
            result.AddRange(batch.Deliveries.Select(d => Describe(deadLetterQueue, d)));
        }
        return result;
    }

    /// <summary>Replays up to <paramref name="limit"/> dead letters per queue; returns what was replayed and what could not be.</summary>
    public async Task<(IReadOnlyList<DeadLetterInfo> Replayed, IReadOnlyList<DeadLetterInfo> Skipped)> ReplayAsync(string? queue, int limit, CancellationToken cancellationToken)
    {
        var replayed = new List<DeadLetterInfo>();
        var skipped = new List<DeadLetterInfo>();
        foreach (var deadLetterQueue in QueuesFor(queue))
        {
            await using var batch = await TakeAsync(deadLetterQueue, limit, queue is null, cancellationToken).ConfigureAwait(false);
            foreach (var delivery in batch.Deliveries)
            {
                var envelope = CollectorDeadLetter.TryRead(delivery.Message.Body.Span);
                var info = envelope is null ? DescribeDelivery(deadLetterQueue, delivery) : Describe(deadLetterQueue, delivery, envelope);
                if (info.FirstDeathQueue is not { Length: > 0 } target)
                {
                    skipped.Add(info);
                    continue;
                }
                // The trigger's and the Function App's retry counters go, so the replay starts with the full retry budget.
                var headers = ((IReadOnlyDictionary<string, object?>?)envelope?.OriginalHeaders?.ToDictionary(h => h.Key, h => (object?)h.Value, StringComparer.Ordinal) ?? delivery.RawHeaders)
                    .Where(h => !DeadLetterHeaders.IsDeadLetterHeader(h.Key) && !RetryCounters.IsCounter(h.Key))
                    .ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal);
                if (info.OriginalExchange is not null) headers[DeadLetterHeaders.OriginalExchange] = info.OriginalExchange;
                if (info.OriginalRoutingKey is not null) headers[DeadLetterHeaders.OriginalRoutingKey] = info.OriginalRoutingKey;
                headers[DeadLetterHeaders.Replays] = info.Replays + 1;
                var message = envelope is not null
                    ? new OutboundMessage(Encoding.UTF8.GetBytes(envelope.OriginalBody), envelope.OriginalContentType ?? "application/json", envelope.OriginalMessageId, headers, Type: info.EventType)
                    : new OutboundMessage(delivery.Message.Body, delivery.Message.ContentType, delivery.Message.MessageId, headers, Type: info.EventType);
                await transport.PublishAsync("", target, message, cancellationToken).ConfigureAwait(false);
                await delivery.AckAsync(cancellationToken).ConfigureAwait(false);
                replayed.Add(info);
            }
        }
        return (replayed, skipped);
    }

    /// <summary>The queue's messages; when going through every queue, one this deployment never declared counts as empty.</summary>
    private async Task<DeliveryBatch> TakeAsync(string queue, int limit, bool skipMissing, CancellationToken cancellationToken)
    {
        try
        {
            return await transport.GetAsync(queue, limit, cancellationToken).ConfigureAwait(false);
        }
        catch (QueueNotFoundException) when (skipMissing)
        {
            return new DeliveryBatch([], () => ValueTask.CompletedTask);
        }
    }

    private IEnumerable<string> QueuesFor(string? queue)
    {
        if (queue is null) return topology.DeadLetterQueues;
        var name = queue.EndsWith(".dead-letter", StringComparison.Ordinal) ? queue : queue + ".dead-letter";
        return topology.DeadLetterQueues.Contains(name, StringComparer.Ordinal)
            ? [name]
            : throw new ArgumentException($"No dead-letter queue '{name}'. Known: {string.Join(", ", topology.DeadLetterQueues)}");
    }

    public static DeadLetterInfo Describe(string deadLetterQueue, Delivery delivery) =>
        CollectorDeadLetter.TryRead(delivery.Message.Body.Span) is { } envelope
            ? Describe(deadLetterQueue, delivery, envelope)
            : DescribeDelivery(deadLetterQueue, delivery);

    /// <summary>A message the worker or the broker dead-lettered as it was: the reason is in its headers.</summary>
    private static DeadLetterInfo DescribeDelivery(string deadLetterQueue, Delivery delivery)
    {
        var headers = delivery.Message.HeadersOrEmpty;
        var death = FirstDeath(delivery.RawHeaders);
        string? Header(string name) => headers.TryGetValue(name, out var value) ? value : null;
        var originalExchange = Header(DeadLetterHeaders.OriginalExchange) ?? death?.Exchange ?? Header(DeadLetterHeaders.FirstDeathExchange);
        var originalRoutingKey = Header(DeadLetterHeaders.OriginalRoutingKey) ?? death?.RoutingKey;
        var reason = Header(DeadLetterHeaders.Reason)
            ?? (Header(DeadLetterHeaders.FirstDeathReason) ?? death?.Reason) switch
            {
                "delivery_limit" => "rejected by the broker: delivered too many times (x-delivery-limit) without being settled",
                "rejected" => "rejected by a consumer without requeue",
                "expired" => "expired (message TTL)",
                { } other => other,
                null => "(no reason recorded)",
            };
        var body = Encoding.UTF8.GetString(delivery.Message.Body.Span);
        return new DeadLetterInfo(
            deadLetterQueue,
            delivery.Message.MessageId,
            originalRoutingKey,
            Header(DeadLetterHeaders.Code) ?? Header(DeadLetterHeaders.FirstDeathReason) ?? death?.Reason,
            reason,
            Header(DeadLetterHeaders.Consumer),
            Header(DeadLetterHeaders.FirstDeathQueue) ?? death?.Queue,
            originalExchange,
            originalRoutingKey,
            delivery.Message.Count(DeadLetterHeaders.Replays),
            Preview(body));
    }

    /// <summary>A Function App dead letter: everything is in the envelope; the event type is the original body's <c>type</c>.</summary>
    private static DeadLetterInfo Describe(string deadLetterQueue, Delivery delivery, CollectorDeadLetter envelope)
    {
        var reason = envelope.Reason;
        var type = TypeOf(envelope.OriginalBody);
        return new DeadLetterInfo(deadLetterQueue, delivery.Message.MessageId, type, reason.Code,
            reason.Path is null ? reason.Message : $"{reason.Message} (at {reason.Path})", envelope.Consumer, envelope.Queue,
            OriginalExchange: null, OriginalRoutingKey: type, delivery.Message.Count(DeadLetterHeaders.Replays), Preview(envelope.OriginalBody));
    }

    /// <summary>The <c>type</c> of a JSON event body (every envelope shape but binary mode has one), or null.</summary>
    internal static string? TypeOf(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("type", out var type)
                && type.ValueKind == JsonValueKind.String ? type.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal static string Preview(string body) => body.Length <= 160 ? body : body[..160] + "…";

    /// <summary>The first entry of the broker's <c>x-death</c> header (queue, reason, exchange, routing key).</summary>
    private static (string? Queue, string? Reason, string? Exchange, string? RoutingKey)? FirstDeath(IReadOnlyDictionary<string, object?> raw)
    {
        if (!raw.TryGetValue(DeadLetterHeaders.Death, out var value) || value is not IList { Count: > 0 } list || list[0] is not IDictionary entry) return null;
        string? Text(string key) => entry.Contains(key) && entry[key] is { } v ? HeaderText.ToText(v) : null;
        var routingKey = entry.Contains("routing-keys") && entry["routing-keys"] is IList { Count: > 0 } keys ? HeaderText.ToText(keys[0]) : null;
        return (Text("queue"), Text("reason"), Text("exchange"), routingKey);
    }
}
