using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace EventProcessors.Contracts;

/// <summary>Settings of <see cref="EnvelopeReader"/>.</summary>
public sealed class EnvelopeReaderOptions
{
    /// <summary>Largest body accepted; a larger one is <see cref="EventErrorCode.PayloadTooLarge"/>. Default 256 KiB.</summary>
    public int MaxBodyBytes { get; set; } = 256 * 1024;
}

/// <summary>
/// Reads every envelope shape the platform documents and normalises it to a <see cref="CloudEvent"/>:
/// CloudEvents structured JSON; CloudEvents binary mode (Kafka <c>ce_</c> headers, AMQP <c>cloudEvents_</c> or
/// <c>cloudEvents:</c> properties); MES <c>{type, meta, data}</c>; Collector <c>{type, timestamp, tenantId, source,
/// correlationId?, data}</c>; the shared-events guide's <c>{metadata, data}</c>; and manufacturing intelligence's
/// <c>{id, type, source, timestamp, payload, ...}</c>. Never throws for bad input: the result says what is wrong.
/// </summary>
/// <remarks>
/// An event without an id (Collector's never have one) gets a deterministic one: the AMQP <c>message_id</c> if
/// set, otherwise a hash of the compact JSON body, so redelivered copies of one message deduplicate.
/// Fields with no CloudEvents counterpart (shared-events <c>context</c>, intelligence <c>status</c> and free-form
/// <c>metadata</c>) are not carried: they describe the producer's bus, not the event.
/// </remarks>
public sealed class EnvelopeReader(EnvelopeReaderOptions? options = null)
{
    private static readonly string[] BinaryPrefixes = ["ce_", "cloudEvents_", "cloudEvents:"];
    private readonly int _maxBodyBytes = (options ?? new EnvelopeReaderOptions()).MaxBodyBytes;

    public ReadResult<CloudEvent> Read(InboundMessage message)
    {
        if (message.Body.Length > _maxBodyBytes)
            return Fail(EventErrorCode.PayloadTooLarge, $"The body has {message.Body.Length} bytes; the limit is {_maxBodyBytes}.", "$");

        // The document reads the body where it lies (its index pooled, returned below); only the event's data outlives
        // it, as a copy of that subtree alone (RequiredData, ReadBinary), not of the whole body.
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message.Body);
        }
        catch (JsonException ex)
        {
            return Fail(EventErrorCode.UnreadableJson, $"The body is not JSON: {ex.Message}", "$");
        }

        using (document)
        try
        {
            var root = document.RootElement;
            var e = BinaryAttribute(message, "specversion") is not null ? ReadBinary(message, root)
                : root.ValueKind != JsonValueKind.Object ? throw Problem(EventErrorCode.UnknownShape, $"The body is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an event object.", "$")
                : root.TryGetProperty("specversion", out _) ? ReadStructured(root)
                : root.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty("eventType", out _) ? ReadSharedEvents(root, metadata, message)
                : root.TryGetProperty("meta", out var meta) && meta.ValueKind == JsonValueKind.Object ? ReadMes(root, meta, message)
                : root.TryGetProperty("payload", out _) && root.TryGetProperty("type", out _) ? ReadIntelligence(root, message)
                : root.TryGetProperty("type", out _) && root.TryGetProperty("data", out _) ? ReadCollector(root, message)
                : throw Problem(EventErrorCode.UnknownShape, "The JSON matches no envelope the platform documents (CloudEvents, MES, Collector, shared-events, manufacturing intelligence).", "$");
            if (message.Key is { Length: > 0 } key && e.PartitionKey is null) e = e with { PartitionKey = key };
            return ReadResult<CloudEvent>.Success(e);
        }
        catch (EventValidationException ex)
        {
            return ReadResult<CloudEvent>.Failure(ex.Error);
        }
    }

    private static CloudEvent ReadStructured(JsonElement root)
    {
        var specVersion = RequiredString(root, "specversion", "$");
        if (specVersion != "1.0") throw Problem(EventErrorCode.InvalidValue, $"specversion '{specVersion}' is not supported; only 1.0 is.", "$.specversion");
        RequiredString(root, "id", "$");
        RequiredString(root, "source", "$");
        RequiredString(root, "type", "$");
        if (root.TryGetProperty("time", out var time)) ParseTime(time, "$.time");
        try
        {
            return root.Deserialize<CloudEvent>(ContractJson.Options)!;
        }
        catch (JsonException ex)
        {
            throw Problem(EventErrorCode.MistypedField, ex.Message, ex.Path);
        }
    }

    private static CloudEvent ReadBinary(InboundMessage message, JsonElement body)
    {
        string Required(string name) => BinaryAttribute(message, name) is { Length: > 0 } value ? value
            : throw Problem(EventErrorCode.MissingField, $"Binary-mode CloudEvent lacks the '{name}' attribute (header ce_{name} or cloudEvents_{name}).", $"headers.{name}");
        var version = Required("specversion");
        if (version != "1.0") throw Problem(EventErrorCode.InvalidValue, $"specversion '{version}' is not supported; only 1.0 is.", "headers.specversion");
        return new CloudEvent
        {
            Id = Required("id"),
            Source = Required("source"),
            Type = Required("type"),
            Time = BinaryAttribute(message, "time") is { } time ? ParseTime(time, "headers.time") : null,
            DataContentType = message.ContentType ?? BinaryAttribute(message, "datacontenttype") ?? "application/json",
            DataSchema = BinaryAttribute(message, "dataschema"),
            Subject = BinaryAttribute(message, "subject"),
            CorrelationId = BinaryAttribute(message, "correlationid"),
            CausationId = BinaryAttribute(message, "causationid"),
            TenantId = BinaryAttribute(message, "tenantid"),
            UserId = BinaryAttribute(message, "userid"),
            SessionId = BinaryAttribute(message, "sessionid"),
            DataClassification = ParseEnum<DataClassification>(BinaryAttribute(message, "dataclassification"), "headers.dataclassification"),
            PartitionKey = BinaryAttribute(message, "partitionkey"),
            Priority = ParseEnum<EventPriority>(BinaryAttribute(message, "priority"), "headers.priority"),
            DataVersion = BinaryAttribute(message, "dataversion"),
            TraceParent = BinaryAttribute(message, "traceparent"),
            TraceState = BinaryAttribute(message, "tracestate"),
            Data = body.Clone(),
        };
    }

    private static CloudEvent ReadCollector(JsonElement root, InboundMessage message) => new()
    {
        Id = OptionalString(root, "id", "$") ?? IdFor(root, message),
        Type = RequiredString(root, "type", "$"),
        Source = RequiredString(root, "source", "$"),
        Time = ParseTime(Required(root, "timestamp", "$"), "$.timestamp"),
        TenantId = RequiredString(root, "tenantId", "$"),
        CorrelationId = OptionalString(root, "correlationId", "$"),
        Data = RequiredData(root, "data"),
    };

    private static CloudEvent ReadMes(JsonElement root, JsonElement meta, InboundMessage message) => new()
    {
        Id = OptionalString(meta, "eventId", "$.meta") ?? IdFor(root, message),
        Type = RequiredString(root, "type", "$"),
        Source = RequiredString(meta, "source", "$.meta"),
        Time = ParseTime(Required(meta, "timestamp", "$.meta"), "$.meta.timestamp"),
        UserId = OptionalString(meta, "userId", "$.meta"),
        CorrelationId = OptionalString(meta, "correlationId", "$.meta"),
        CausationId = OptionalString(meta, "causationId", "$.meta"),
        TenantId = OptionalString(meta, "tenantId", "$.meta"),
        DataVersion = OptionalString(meta, "version", "$.meta"),
        Data = RequiredData(root, "data"),
    };

    private static CloudEvent ReadSharedEvents(JsonElement root, JsonElement metadata, InboundMessage message) => new()
    {
        Id = OptionalString(metadata, "eventId", "$.metadata") ?? IdFor(root, message),
        Type = RequiredString(metadata, "eventType", "$.metadata"),
        Source = RequiredString(metadata, "source", "$.metadata"),
        Time = ParseTime(Required(metadata, "timestamp", "$.metadata"), "$.metadata.timestamp"),
        DataVersion = OptionalString(metadata, "eventVersion", "$.metadata"),
        CorrelationId = OptionalString(metadata, "correlationId", "$.metadata"),
        CausationId = OptionalString(metadata, "causationId", "$.metadata"),
        UserId = OptionalString(metadata, "userId", "$.metadata"),
        SessionId = OptionalString(metadata, "sessionId", "$.metadata"),
        TenantId = OptionalString(metadata, "tenantId", "$.metadata"),
        DataClassification = ParseEnum<DataClassification>(OptionalString(metadata, "dataClassification", "$.metadata"), "$.metadata.dataClassification"),
        PartitionKey = OptionalString(metadata, "partition", "$.metadata"),
        Data = RequiredData(root, "data"),
    };

    private static CloudEvent ReadIntelligence(JsonElement root, InboundMessage message)
    {
        var metadata = root.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
        string? FromMetadata(string name) => metadata.ValueKind == JsonValueKind.Object ? OptionalString(metadata, name, "$.metadata") : null;
        return new CloudEvent
        {
            Id = OptionalString(root, "id", "$") ?? IdFor(root, message),
            Type = RequiredString(root, "type", "$"),
            Source = RequiredString(root, "source", "$"),
            Time = ParseTime(Required(root, "timestamp", "$"), "$.timestamp"),
            CorrelationId = OptionalString(root, "correlationId", "$"),
            Priority = ParseEnum<EventPriority>(OptionalString(root, "priority", "$"), "$.priority"),
            TenantId = FromMetadata("tenantId"),
            UserId = FromMetadata("userId"),
            Data = RequiredData(root, "payload"),
        };
    }

    /// <summary>The id of an event that carries none: the AMQP message_id, or a hash of the compact body.</summary>
    private static string IdFor(JsonElement root, InboundMessage message)
    {
        if (message.MessageId is { Length: > 0 } messageId) return messageId;
        // The compact body is written into this thread's buffer (the bytes JsonSerializer would give, without their array).
        var buffer = t_compact ??= new ArrayBufferWriter<byte>(4096);
        var writer = t_compactWriter ??= new Utf8JsonWriter(buffer);
        try
        {
            writer.Reset(buffer);
            root.WriteTo(writer);
            writer.Flush();
            return DeterministicId.From(buffer.WrittenSpan);
        }
        finally
        {
            writer.Reset();
            buffer.ResetWrittenCount();
            if (buffer.Capacity > 64 * 1024) (t_compact, t_compactWriter) = (null, null); // a rare large body is not kept per thread
        }
    }

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_compact;
    [ThreadStatic] private static Utf8JsonWriter? t_compactWriter;

    private static string? BinaryAttribute(InboundMessage message, string name)
    {
        foreach (var prefix in BinaryPrefixes)
            foreach (var (key, value) in message.HeadersOrEmpty)
                if (key.Length == prefix.Length + name.Length
                    && key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
                    && key.EndsWith(name, StringComparison.OrdinalIgnoreCase))
                    return value;
        return null;
    }

    private static JsonElement Required(JsonElement obj, string name, string path) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value
            : throw Problem(EventErrorCode.MissingField, $"Required field '{name}' is missing.", $"{path}.{name}");

    private static JsonElement RequiredData(JsonElement root, string name)
    {
        var data = Required(root, name, "$");
        return data.ValueKind == JsonValueKind.Object ? data.Clone()
            : throw Problem(EventErrorCode.MistypedField, $"Field '{name}' must be an object, but is {data.ValueKind.ToString().ToLowerInvariant()}.", $"$.{name}");
    }

    private static string RequiredString(JsonElement obj, string name, string path) =>
        OptionalString(obj, name, path) is { Length: > 0 } value ? value
            : throw Problem(EventErrorCode.MissingField, $"Required field '{name}' is missing or empty.", $"{path}.{name}");

    private static string? OptionalString(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString()
            : throw Problem(EventErrorCode.MistypedField, $"Field '{name}' must be a string, but is {value.ValueKind.ToString().ToLowerInvariant()}.", $"{path}.{name}");
    }

    /// <summary>ISO 8601 text, or epoch milliseconds as the shared-events guide sends them.</summary>
    private static DateTimeOffset ParseTime(JsonElement value, string path) => value.ValueKind switch
    {
        JsonValueKind.String => ParseTime(value.GetString()!, path),
        JsonValueKind.Number when value.TryGetInt64(out var ms) && ms is >= 0 and <= 253402300799999 => DateTimeOffset.FromUnixTimeMilliseconds(ms),
        _ => throw Problem(EventErrorCode.MistypedField, $"Timestamp must be an ISO 8601 string or epoch milliseconds, but is {value.GetRawText()}.", path),
    };

    private static DateTimeOffset ParseTime(string text, string path) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : throw Problem(EventErrorCode.MistypedField, $"Timestamp '{text}' is not an ISO 8601 date-time.", path);

    private static T? ParseEnum<T>(string? text, string path) where T : struct, Enum
    {
        if (text is null) return null;
        try
        {
            return JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(text.ToLowerInvariant()), ContractJson.Options);
        }
        catch (JsonException)
        {
            throw Problem(EventErrorCode.MistypedField, $"'{text}' is not one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.", path);
        }
    }

    private static EventValidationException Problem(EventErrorCode code, string message, string? path) => new(new EventError(code, message, path));

    private static ReadResult<CloudEvent> Fail(EventErrorCode code, string message, string path) =>
        ReadResult<CloudEvent>.Failure(new EventError(code, message, path));
}
