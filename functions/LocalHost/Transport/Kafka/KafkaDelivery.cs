using System.Text;
using Confluent.Kafka;
using EventProcessors.Contracts;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.LocalHost.Transport.Kafka;

/// <summary>
/// One Kafka record handed to an action: the value is the body, the key the partition key, the headers (binary-mode <c>ce_*</c>
/// attributes, <c>content-type</c>, <c>x-replay-count</c>) are text. Ack settles it (its subscription then commits past it once every
/// record before it is settled too); requeue has it run again in place; its dead letter is a <see cref="KafkaDeadLetter"/>.
/// </summary>
internal sealed class KafkaDelivery : Delivery
{
    private readonly KafkaTransport _transport;
    private readonly ConsumeResult<byte[]?, byte[]?> _record;
    private volatile bool _acknowledged;

    public KafkaDelivery(KafkaTransport transport, string group, ConsumeResult<byte[]?, byte[]?> record, bool redelivered)
        : base(group, record.Topic, TypeOf(record), redelivered, ToInbound(record, out var raw), raw)
    {
        _transport = transport;
        _record = record;
    }

    public int Partition => _record.Partition.Value;

    public long Offset => _record.Offset.Value;

    /// <summary>The handler acknowledged it: its outcome is settled.</summary>
    public bool Acknowledged => _acknowledged;

    protected override Task AckCoreAsync(CancellationToken cancellationToken)
    {
        _acknowledged = true;
        return Task.CompletedTask;
    }

    /// <summary>Requeue and reject both leave the record unsettled: it runs again in place, and its offset is not committed.</summary>
    protected override Task NackCoreAsync(bool requeue, CancellationToken cancellationToken) => Task.CompletedTask;

    public override (string Stream, string Position) Position =>
        ($"kafka:{_record.Topic}/{_record.Partition.Value}", _record.Offset.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public override string DeadLetterDestination => _transport.Options.DeadLetterTopic;

    /// <summary>Writes the dead-letter envelope (reason, consumer, group, attempts, the record with its topic, partition, offset and headers) to the dead-letter topic, keyed like the record.</summary>
    public override async Task<string> WriteDeadLetterAsync(IMessageTransport transport, OutboundMessage letter, DeadLetterReason reason, string consumer,
        int attempts, CancellationToken cancellationToken)
    {
        var original = KafkaOriginal.Create(_record.Topic, _record.Partition.Value, _record.Offset.Value, Message.Key, Message.HeadersOrEmpty,
            _record.Message.Value, _record.Message.Timestamp.Type == TimestampType.NotAvailable ? null : _record.Message.Timestamp.UtcDateTime);
        var envelope = new KafkaDeadLetter(reason, consumer, Queue, attempts, original, DateTimeOffset.UtcNow);
        var topic = DeadLetterDestination;
        await _transport.ProduceAsync(topic, new Message<byte[]?, byte[]?>
        {
            Key = _record.Message.Key,
            Value = Encoding.UTF8.GetBytes(envelope.ToJson()),
            Headers = new Headers { { KafkaTransport.ContentTypeHeader, Encoding.UTF8.GetBytes("application/json") } },
        }, cancellationToken).ConfigureAwait(false);
        return topic;
    }

    /// <summary>Binary mode names the type in <c>ce_type</c>; structured records carry it in the value, read later by the pipeline.</summary>
    private static string TypeOf(ConsumeResult<byte[]?, byte[]?> record) =>
        record.Message.Headers?.TryGetLastBytes("ce_type", out var type) == true ? Encoding.UTF8.GetString(type) : "";

    private static InboundMessage ToInbound(ConsumeResult<byte[]?, byte[]?> record, out IReadOnlyDictionary<string, object?> raw)
    {
        var headers = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var header in record.Message.Headers ?? [])
            headers[header.Key] = header.GetValueBytes() is { } bytes ? Encoding.UTF8.GetString(bytes) : null;
        raw = headers;
        var text = HeaderText.ToStrings(headers);
        text.TryGetValue(KafkaTransport.ContentTypeHeader, out var contentType);
        return new InboundMessage(record.Message.Value ?? [], text, contentType,
            Key: record.Message.Key is { } key ? Encoding.UTF8.GetString(key) : null);
    }
}
