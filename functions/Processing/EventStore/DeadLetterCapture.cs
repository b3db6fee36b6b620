using System.Text;
using System.Text.Json;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.EventStore;

/// <summary>
/// Reads a message found in a dead-letter destination into a <see cref="StoredDeadLetter"/>, whichever host wrote it:
/// the self-hosted worker (original body, reason in <c>x-dead-letter-*</c> headers, or the broker's own
/// <c>x-first-death-*</c> when it dead-lettered after the delivery limit), the Function App's Collector envelope
/// (<see cref="CollectorDeadLetter"/>) or its MES envelope on <c>mes-events.dead-letter</c> (reason, consumer, original record).
/// The event it refers to is read from the original body, so the dead letter joins its flow.
/// </summary>
public sealed class DeadLetterCapture
{
    private readonly EventCapture _events;

    public DeadLetterCapture(EventCapture events) => _events = events;

    public StoredDeadLetter Capture(InboundMessage message, TransportInfo transport, DateTimeOffset at)
    {
        var headers = message.HeadersOrEmpty;
        string consumer, code, reason;
        InboundMessage original;
        if (headers.TryGetValue("x-dead-letter-consumer", out var byWorker))
        {
            consumer = byWorker;
            code = headers.GetValueOrDefault("x-dead-letter-code") ?? "Unknown";
            reason = headers.GetValueOrDefault("x-dead-letter-reason") ?? code;
            original = message;
        }
        else if (CollectorDeadLetter.TryRead(message.Body.Span) is { } collector)
        {
            (consumer, code, reason) = (collector.Consumer, collector.Reason.Code, Describe(collector.Reason));
            // The original as it arrived: an event without an id of its own takes it from its message id, so the dead letter joins the stored event.
            original = new InboundMessage(Encoding.UTF8.GetBytes(collector.OriginalBody), collector.OriginalHeaders,
                collector.OriginalContentType ?? "application/json", collector.OriginalMessageId);
        }
        else if (TryReadKafka(message, out var kafka, out var kafkaConsumer, out var kafkaCode, out var kafkaReason))
        {
            (consumer, code, reason, original) = (kafkaConsumer, kafkaCode, kafkaReason, kafka);
        }
        else
        {
            // Dead-lettered by the broker itself (delivery limit, rejected): it names the queue, not the consumer.
            var queue = headers.GetValueOrDefault("x-first-death-queue") ?? transport.RoutingKey ?? transport.Destination;
            consumer = Consumers.All.FirstOrDefault(c => c.Queue == queue)?.Name ?? queue;
            code = headers.GetValueOrDefault("x-first-death-reason") ?? "Unknown";
            reason = $"the broker dead-lettered it from {queue} ({code})";
            original = message;
        }

        var e = _events.Capture(original, transport, at);
        return new StoredDeadLetter
        {
            Tenant = e.Tenant,
            Source = e.Source,
            EventId = e.Id,
            CorrelationId = e.CorrelationId,
            Consumer = consumer,
            Code = code,
            Reason = reason,
            DeadLetteredAt = at,
            Destination = transport.RoutingKey ?? transport.Destination,
        };
    }

    /// <summary>The reason as the worker's own dead letters state it: with the path of the offending field when there is one.</summary>
    private static string Describe(DeadLetterReason reason) => reason.Path is null ? reason.Message : $"{reason.Code} at {reason.Path}: {reason.Message}";

    private static bool TryReadKafka(InboundMessage message, out InboundMessage original, out string consumer, out string code, out string reason)
    {
        (original, consumer, code, reason) = (message, "", "", "");
        try
        {
            using var doc = JsonDocument.Parse(message.Body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("reason", out var why) || !root.TryGetProperty("consumer", out var who)
                || !root.TryGetProperty("original", out var record) || record.ValueKind != JsonValueKind.Object) return false;
            var value = record.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
            var body = record.TryGetProperty("valueEncoding", out var enc) && enc.GetString() == "base64" ? Convert.FromBase64String(value) : Encoding.UTF8.GetBytes(value);
            var recordHeaders = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (record.TryGetProperty("headers", out var h) && h.ValueKind == JsonValueKind.Object)
                foreach (var p in h.EnumerateObject()) recordHeaders[p.Name] = p.Value.ToString();
            recordHeaders.TryGetValue("content-type", out var contentType);
            original = new InboundMessage(body, recordHeaders, contentType,
                Key: record.TryGetProperty("key", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null);
            consumer = who.GetString() ?? "";
            code = why.TryGetProperty("code", out var c) ? c.GetString() ?? "" : "";
            reason = Describe(new DeadLetterReason(code, why.TryGetProperty("message", out var m) ? m.GetString() ?? code : code,
                why.TryGetProperty("path", out var at) && at.ValueKind == JsonValueKind.String ? at.GetString() : null));
            return consumer.Length > 0;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return false;
        }
    }
}
