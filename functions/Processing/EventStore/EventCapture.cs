using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.EventStore;

/// <summary>
/// Turns a message seen on a bus into the <see cref="StoredEvent"/> the store keeps, applying the classification rule:
/// public, internal and unclassified data is kept; confidential data is kept only AES-GCM encrypted (when
/// <see cref="EventStoreOptions.ConfidentialDataKey"/> is set) and otherwise left out; restricted data is never kept.
/// Every other attribute (ids, type, times, correlation, tenant, user, partition key) is kept for every class: the audit
/// trail needs who did what when, not the payload. A message that is no event is kept as a read error with the
/// transport's id, never with its body (its classification cannot be known).
/// </summary>
public sealed class EventCapture
{
    private const string EncryptedDataProperty = "data_base64";
    private const string EncryptedContentType = "application/x-event-store-aesgcm";
    private readonly EnvelopeReader _reader = new(new EnvelopeReaderOptions { MaxBodyBytes = 1024 * 1024 });
    private readonly byte[]? _key;

    public EventCapture(EventStoreOptions options)
    {
        if (options.ConfidentialDataKey is { Length: > 0 } key)
        {
            _key = Convert.FromBase64String(key);
            if (_key.Length is not (16 or 24 or 32))
                throw new ArgumentException("EventStore:ConfidentialDataKey must be a base64 AES key of 16, 24 or 32 bytes.", nameof(options));
        }
    }

    /// <summary>Reads <paramref name="message"/> as the event store keeps it. Never throws for bad input.</summary>
    public StoredEvent Capture(InboundMessage message, TransportInfo transport, DateTimeOffset arrivedAt)
    {
        var read = _reader.Read(message);
        if (!read.IsSuccess) return Unreadable(message, transport, arrivedAt, read.Error);
        var e = read.Value;
        var (envelope, payload) = Envelope(e);
        return new StoredEvent
        {
            Tenant = e.TenantId ?? ActionContext.DefaultTenant,
            Source = e.Source,
            Id = e.Id,
            Type = e.Type,
            OccurredAt = e.Time ?? arrivedAt,
            ArrivedAt = arrivedAt,
            CorrelationId = e.CorrelationId ?? e.Id,
            CausationId = e.CausationId,
            Entity = e.PartitionKey ?? message.Key ?? e.Subject,
            Classification = e.DataClassification,
            Payload = payload,
            Transport = transport,
            Envelope = envelope,
        };
    }

    /// <summary>The canonical event as it was captured (<c>data</c> decrypted when this capture holds the key), or null when its data was not kept.</summary>
    public CloudEvent? Restore(StoredEvent stored)
    {
        if (stored.ReadError is not null) return null;
        var node = JsonNode.Parse(stored.Envelope)!.AsObject();
        switch (stored.Payload)
        {
            case PayloadRetention.Omitted:
                return null;
            case PayloadRetention.Encrypted:
                if (_key is null || node[EncryptedDataProperty]?.GetValue<string>() is not { } sealedData) return null;
                node.Remove(EncryptedDataProperty);
                node["data"] = JsonNode.Parse(Open(Convert.FromBase64String(sealedData)));
                node["datacontenttype"] = "application/json";
                break;
        }
        return node.Deserialize<CloudEvent>(ContractJson.Options);
    }

    private (string Envelope, PayloadRetention Payload) Envelope(CloudEvent e)
    {
        switch (e.DataClassification)
        {
            case DataClassification.Restricted:
                return (Json(e with { Data = null }), PayloadRetention.Omitted);
            case DataClassification.Confidential when _key is null:
                return (Json(e with { Data = null }), PayloadRetention.Omitted);
            case DataClassification.Confidential:
                var node = JsonSerializer.SerializeToNode(e with { Data = null, DataContentType = EncryptedContentType }, ContractJson.Options)!.AsObject();
                node.Remove("data");
                node[EncryptedDataProperty] = Convert.ToBase64String(Seal(Encoding.UTF8.GetBytes(e.Data?.GetRawText() ?? "null")));
                return (node.ToJsonString(ContractJson.Options), PayloadRetention.Encrypted);
            default:
                return (Json(e), PayloadRetention.Kept);
        }
    }

    private static string Json(CloudEvent e) => Encoding.UTF8.GetString(e.ToJsonBytes());

    private static StoredEvent Unreadable(InboundMessage message, TransportInfo transport, DateTimeOffset arrivedAt, EventError error)
    {
        // The transport's id when it has one, else the body's hash: a redelivered copy is the same entry.
        var id = message.MessageId ?? DeterministicId.From(Convert.ToHexStringLower(SHA256.HashData(message.Body.Span)));
        return new StoredEvent
        {
            Tenant = ActionContext.DefaultTenant,
            Source = UnreadableSource,
            Id = id,
            Type = UnreadableType,
            OccurredAt = arrivedAt,
            ArrivedAt = arrivedAt,
            CorrelationId = id,
            Entity = message.Key,
            Payload = PayloadRetention.Omitted,
            Transport = transport,
            Envelope = new JsonObject { ["bytes"] = message.Body.Length, ["contentType"] = message.ContentType }.ToJsonString(),
            ReadError = error.ToString(),
        };
    }

    /// <summary>The source and type a message that is no event is kept under.</summary>
    public const string UnreadableSource = "/event-store/unreadable";
    public const string UnreadableType = "event-store.unreadable";

    private byte[] Seal(byte[] plain)
    {
        var nonce = RandomNumberGenerator.GetBytes(AesGcm.NonceByteSizes.MaxSize);
        var tag = new byte[AesGcm.TagByteSizes.MaxSize];
        var cipher = new byte[plain.Length];
        using var aes = new AesGcm(_key!, tag.Length);
        aes.Encrypt(nonce, plain, cipher, tag);
        return [.. nonce, .. tag, .. cipher];
    }

    private string Open(byte[] sealedData)
    {
        var nonce = sealedData.AsSpan(0, AesGcm.NonceByteSizes.MaxSize);
        var tag = sealedData.AsSpan(nonce.Length, AesGcm.TagByteSizes.MaxSize);
        var cipher = sealedData.AsSpan(nonce.Length + tag.Length);
        var plain = new byte[cipher.Length];
        using var aes = new AesGcm(_key!, tag.Length);
        aes.Decrypt(nonce, cipher, tag, plain);
        return Encoding.UTF8.GetString(plain);
    }
}
