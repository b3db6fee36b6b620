using System.Globalization;
using System.Text;

namespace EventProcessors.Contracts;

/// <summary>The transport a binary-mode CloudEvent is written for; each names its headers differently.</summary>
public enum BinaryModeBinding
{
    /// <summary>Kafka: <c>ce_*</c> headers, <c>content-type</c> header, partition key as the record key.</summary>
    Kafka,
    /// <summary>AMQP (RabbitMQ): <c>cloudEvents_*</c> application properties, <c>content_type</c> property.</summary>
    Amqp,
}

/// <summary>A CloudEvent in binary mode: attributes in headers, data as the body.</summary>
/// <param name="Headers">Kafka headers or AMQP application properties.</param>
/// <param name="Body">The data as UTF-8 JSON; empty when the event has no data.</param>
/// <param name="ContentType">The data's content type (AMQP <c>content_type</c>; Kafka also has it as a header).</param>
/// <param name="Key">Kafka record key (the partition key); null for AMQP.</param>
public sealed record BinaryModeMessage(
    IReadOnlyDictionary<string, string> Headers,
    ReadOnlyMemory<byte> Body,
    string ContentType,
    string? Key);

/// <summary>
/// Writes a <see cref="CloudEvent"/> in binary mode, so transports can publish either mode
/// (structured mode is <see cref="CloudEvent.ToJsonBytes"/> with <see cref="CloudEvent.JsonContentType"/>).
/// <see cref="EnvelopeReader"/> reads the result back to an equal event.
/// </summary>
public static class EnvelopeWriter
{
    public static BinaryModeMessage ToBinaryMode(CloudEvent cloudEvent, BinaryModeBinding binding)
    {
        var prefix = binding == BinaryModeBinding.Kafka ? "ce_" : "cloudEvents_";
        var contentType = cloudEvent.DataContentType ?? "application/json";
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        void Add(string name, string? value)
        {
            if (value is not null) headers[prefix + name] = value;
        }

        Add("specversion", cloudEvent.SpecVersion);
        Add("id", cloudEvent.Id);
        Add("source", cloudEvent.Source);
        Add("type", cloudEvent.Type);
        Add("time", cloudEvent.Time?.ToString("O", CultureInfo.InvariantCulture));
        Add("dataschema", cloudEvent.DataSchema);
        Add("subject", cloudEvent.Subject);
        Add("correlationid", cloudEvent.CorrelationId);
        Add("causationid", cloudEvent.CausationId);
        Add("tenantid", cloudEvent.TenantId);
        Add("userid", cloudEvent.UserId);
        Add("sessionid", cloudEvent.SessionId);
        Add("dataclassification", cloudEvent.DataClassification?.ToString().ToLowerInvariant());
        Add("priority", cloudEvent.Priority?.ToString().ToLowerInvariant());
        Add("dataversion", cloudEvent.DataVersion);
        Add("traceparent", cloudEvent.TraceParent);
        Add("tracestate", cloudEvent.TraceState);

        // The Kafka binding maps partitionkey to the record key; AMQP has no key, so it stays a property.
        string? key = null;
        if (binding == BinaryModeBinding.Kafka)
        {
            key = cloudEvent.PartitionKey;
            headers["content-type"] = contentType;
        }
        else
        {
            Add("partitionkey", cloudEvent.PartitionKey);
        }

        var body = cloudEvent.Data is { } data ? Encoding.UTF8.GetBytes(data.GetRawText()) : [];
        return new BinaryModeMessage(headers, body, contentType, key);
    }

    /// <summary>The message as a transport would hand it to <see cref="EnvelopeReader"/>.</summary>
    public static InboundMessage ToInbound(this BinaryModeMessage message) =>
        new(message.Body, message.Headers, message.ContentType, Key: message.Key);
}
