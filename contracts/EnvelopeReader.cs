using System.Text.Json;

namespace EventProcessors.Contracts;

/// <summary>
/// Reads a transport message in any envelope shape the platform documents and normalises it to the
/// canonical <see cref="CloudEvent"/>. Never throws for bad input: the result carries the error.
/// </summary>
/// <remarks>
/// <para>Shapes, recognised in this order:</para>
/// <list type="number">
/// <item>CloudEvents binary mode: a <c>specversion</c> attribute in Kafka headers (<c>ce_*</c>) or AMQP
/// application properties (<c>cloudEvents_*</c>, <c>cloudEvents:*</c>), and a content type that is not
/// <c>application/cloudevents*</c>; the body is the data.</item>
/// <item>CloudEvents structured JSON: a top-level <c>specversion</c>.</item>
/// <item>MES: <c>{ type, meta: { eventId, source, userId, correlationId, timestamp, ... }, data }</c>.</item>
/// <item>Manufacturing intelligence (and seed 001's domain events): <c>{ id, type, source, timestamp,
/// payload, correlationId, priority, status, metadata }</c>.</item>
/// <item>Shared events: <c>{ metadata: { eventId, eventType, ... }, data }</c>.</item>
/// <item>Collector: <c>{ type, timestamp, tenantId, source, correlationId?, data }</c>.</item>
/// </list>
/// <para>Every shape needs a type and a source (CloudEvents requires both); Collector also needs
/// <c>tenantId</c> and <c>timestamp</c>, which its document shows on every event and on which tenant
/// isolation rests. Outside CloudEvents, a timestamp may be an ISO 8601 string or epoch milliseconds.</para>
/// <para>Dropped, because no consumer reads them and a CloudEvents extension holds only a scalar:
/// the manufacturing-intelligence <c>status</c> (the producer's delivery state) and the rest of its
/// <c>metadata</c> after userId, tenantId, sessionId and causationId are mapped; the shared-events
/// <c>context</c>; seed 001's <c>entityType</c>; binary-mode attributes that are not ours.</para>
/// <para>An event without an id gets the AMQP <c>message_id</c>, or else <see cref="DeterministicId"/>
/// of its body. A Kafka key fills <c>partitionkey</c>, and <c>traceparent</c>/<c>tracestate</c> headers
/// fill the trace attributes, when the envelope has none.</para>
/// </remarks>
public sealed class EnvelopeReader(EnvelopeReaderOptions? options = null)
{
    private static readonly string[] BinaryPrefixes = ["ce_", "cloudEvents_", "cloudEvents:"];

    public static EnvelopeReader Default { get; } = new();

    public EnvelopeReaderOptions Options { get; } = options ?? new EnvelopeReaderOptions();

    public ReadResult<CloudEvent> Read(InboundMessage message)
    {
        try
        {
            return ReadResult<CloudEvent>.Success(ReadOrThrow(message));
        }
        catch (EventValidationException ex)
        {
            return ReadResult<CloudEvent>.Failure(ex.Error);
        }
    }

    private CloudEvent ReadOrThrow(InboundMessage message)
    {
        if (message.Body.Length > Options.MaxBodyBytes)
            throw Error(EventErrorCode.PayloadTooLarge,
                $"The body is {message.Body.Length} bytes; the limit is {Options.MaxBodyBytes} bytes.");

        var contentType = message.ContentType ?? Header(message, "content-type");
        var attributes = BinaryAttributes(message);
        var structured = contentType?.StartsWith("application/cloudevents", StringComparison.OrdinalIgnoreCase) == true;
        if (!structured && attributes.ContainsKey("specversion"))
        {
            var binary = ReadBinary(message, attributes, contentType);
            return Complete(binary, message,
                () => DeterministicId.Of(attributes.ToDictionary(a => a.Key, a => a.Value.Value), binary.Data));
        }

        using var document = Parse(message.Body, "The body");
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw Error(EventErrorCode.UnknownShape,
                $"The body is a JSON {root.ValueKind.ToString().ToLowerInvariant()}; an event envelope is a JSON object.");

        CloudEvent cloudEvent;
        if (root.TryGetProperty("specversion", out _)) cloudEvent = ReadStructured(root);
        else if (root.TryGetProperty("meta", out _)) cloudEvent = ReadMes(root);
        else if (root.TryGetProperty("payload", out _)) cloudEvent = ReadManufacturingIntelligence(root);
        else if (root.TryGetProperty("metadata", out _)) cloudEvent = ReadSharedEvents(root);
        else if (root.TryGetProperty("data", out _)
                 && (root.TryGetProperty("type", out _) || root.TryGetProperty("tenantId", out _) || root.TryGetProperty("timestamp", out _)))
            cloudEvent = ReadCollector(root);
        else
            throw Error(EventErrorCode.UnknownShape,
                "The JSON object matches no envelope shape: CloudEvents (specversion), MES (meta), manufacturing " +
                "intelligence (payload), shared events (metadata) or Collector (type, timestamp, tenantId, data). " +
                $"Its members are: {string.Join(", ", root.EnumerateObject().Select(m => m.Name).Take(10))}.");

        return Complete(cloudEvent, message, () => DeterministicId.Of(root));
    }

    private CloudEvent ReadStructured(JsonElement root)
    {
        var specVersion = RequiredString(root, "specversion", "$");
        if (specVersion != "1.0")
            throw Error(EventErrorCode.InvalidValue, $"CloudEvents specversion '{specVersion}' is not supported; expected 1.0.", "$.specversion");

        JsonElement? data = Data(root, "data");
        if (root.TryGetProperty("data_base64", out var base64) && base64.ValueKind != JsonValueKind.Null)
            data = DecodeBase64Data(base64);

        return new CloudEvent
        {
            Id = OptionalString(root, "id", "$") ?? "",
            Source = RequiredString(root, "source", "$"),
            Type = RequiredString(root, "type", "$"),
            Time = Time(root, "time", "$", allowEpochMilliseconds: false),
            DataContentType = OptionalString(root, "datacontenttype", "$") ?? "application/json",
            DataSchema = OptionalString(root, "dataschema", "$"),
            Subject = OptionalString(root, "subject", "$"),
            CorrelationId = OptionalString(root, "correlationid", "$"),
            CausationId = OptionalString(root, "causationid", "$"),
            TenantId = OptionalString(root, "tenantid", "$"),
            UserId = OptionalString(root, "userid", "$"),
            SessionId = OptionalString(root, "sessionid", "$"),
            DataClassification = ParseEnum<DataClassification>(OptionalString(root, "dataclassification", "$"), "dataclassification", "$.dataclassification"),
            PartitionKey = OptionalString(root, "partitionkey", "$"),
            Priority = ParseEnum<EventPriority>(OptionalString(root, "priority", "$"), "priority", "$.priority"),
            DataVersion = OptionalString(root, "dataversion", "$"),
            TraceParent = OptionalString(root, "traceparent", "$"),
            TraceState = OptionalString(root, "tracestate", "$"),
            Data = data,
        };
    }

    private JsonElement? DecodeBase64Data(JsonElement base64)
    {
        if (base64.ValueKind != JsonValueKind.String || !base64.TryGetBytesFromBase64(out var bytes))
            throw Error(EventErrorCode.MistypedField, "Field 'data_base64' must be a base64 string.", "$.data_base64");
        using var document = Parse(bytes, "The data_base64 content");
        return NullToAbsent(document.RootElement.Clone());
    }

    private static CloudEvent ReadMes(JsonElement root)
    {
        var meta = RequiredObject(root, "meta", "$");
        return new CloudEvent
        {
            Id = OptionalString(meta, "eventId", "$.meta") ?? "",
            Source = RequiredString(meta, "source", "$.meta"),
            Type = RequiredString(root, "type", "$"),
            Time = Time(meta, "timestamp", "$.meta", allowEpochMilliseconds: true),
            CorrelationId = OptionalString(meta, "correlationId", "$.meta"),
            CausationId = OptionalString(meta, "causationId", "$.meta"),
            TenantId = OptionalString(meta, "tenantId", "$.meta"),
            UserId = OptionalString(meta, "userId", "$.meta"),
            SessionId = OptionalString(meta, "sessionId", "$.meta"),
            DataVersion = OptionalString(meta, "eventVersion", "$.meta"),
            Data = Data(root, "data"),
        };
    }

    private static CloudEvent ReadManufacturingIntelligence(JsonElement root)
    {
        var metadata = root.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
        return new CloudEvent
        {
            Id = OptionalString(root, "id", "$") ?? "",
            Source = RequiredString(root, "source", "$"),
            Type = RequiredString(root, "type", "$"),
            Time = Time(root, "timestamp", "$", allowEpochMilliseconds: true),
            CorrelationId = OptionalString(root, "correlationId", "$"),
            Priority = ParseEnum<EventPriority>(OptionalString(root, "priority", "$"), "priority", "$.priority"),
            PartitionKey = OptionalString(root, "entityId", "$"),
            CausationId = MetadataString(metadata, "causationId"),
            TenantId = MetadataString(metadata, "tenantId"),
            UserId = MetadataString(metadata, "userId"),
            SessionId = MetadataString(metadata, "sessionId"),
            Data = Data(root, "payload"),
        };
    }

    private static CloudEvent ReadSharedEvents(JsonElement root)
    {
        var metadata = RequiredObject(root, "metadata", "$");
        return new CloudEvent
        {
            Id = OptionalString(metadata, "eventId", "$.metadata") ?? "",
            Source = RequiredString(metadata, "source", "$.metadata"),
            Type = RequiredString(metadata, "eventType", "$.metadata"),
            Time = Time(metadata, "timestamp", "$.metadata", allowEpochMilliseconds: true),
            DataVersion = OptionalString(metadata, "eventVersion", "$.metadata"),
            CorrelationId = OptionalString(metadata, "correlationId", "$.metadata"),
            CausationId = OptionalString(metadata, "causationId", "$.metadata"),
            TenantId = OptionalString(metadata, "tenantId", "$.metadata"),
            UserId = OptionalString(metadata, "userId", "$.metadata"),
            SessionId = OptionalString(metadata, "sessionId", "$.metadata"),
            DataClassification = ParseEnum<DataClassification>(
                OptionalString(metadata, "dataClassification", "$.metadata"), "dataClassification", "$.metadata.dataClassification"),
            PartitionKey = OptionalString(metadata, "partition", "$.metadata"),
            Data = Data(root, "data"),
        };
    }

    private static CloudEvent ReadCollector(JsonElement root) => new()
    {
        Id = "",
        Source = RequiredString(root, "source", "$"),
        Type = RequiredString(root, "type", "$"),
        Time = Time(root, "timestamp", "$", allowEpochMilliseconds: true)
               ?? throw Missing("timestamp", "$.timestamp"),
        TenantId = RequiredString(root, "tenantId", "$"),
        CorrelationId = OptionalString(root, "correlationId", "$"),
        Data = Data(root, "data"),
    };

    private CloudEvent ReadBinary(InboundMessage message, Dictionary<string, (string Header, string Value)> attributes, string? contentType)
    {
        string? Attribute(string name) => attributes.TryGetValue(name, out var a) ? a.Value : null;
        string Required(string name) => Attribute(name) is { } value && !string.IsNullOrWhiteSpace(value)
            ? value
            : throw Error(EventErrorCode.MissingField, $"The binary-mode CloudEvent has no '{name}' attribute (header ce_{name} or cloudEvents_{name}).");

        var specVersion = Attribute("specversion");
        if (specVersion != "1.0")
            throw Error(EventErrorCode.InvalidValue,
                $"CloudEvents specversion '{specVersion}' (header {attributes["specversion"].Header}) is not supported; expected 1.0.");

        JsonElement? data = null;
        if (message.Body.Length > 0)
        {
            using var document = Parse(message.Body, "The binary-mode body (the event data)");
            data = NullToAbsent(document.RootElement.Clone());
        }

        DateTimeOffset? time = null;
        if (Attribute("time") is { } timeText)
        {
            if (!JsonSerializer.SerializeToElement(timeText).TryGetDateTimeOffset(out var parsed))
                throw Error(EventErrorCode.MistypedField,
                    $"Attribute 'time' (header {attributes["time"].Header}) must be an RFC 3339 date-time, but is \"{timeText}\".");
            time = parsed;
        }

        return new CloudEvent
        {
            Id = Attribute("id") ?? "",
            Source = Required("source"),
            Type = Required("type"),
            Time = time,
            DataContentType = contentType ?? Attribute("datacontenttype") ?? "application/json",
            DataSchema = Attribute("dataschema"),
            Subject = Attribute("subject"),
            CorrelationId = Attribute("correlationid"),
            CausationId = Attribute("causationid"),
            TenantId = Attribute("tenantid"),
            UserId = Attribute("userid"),
            SessionId = Attribute("sessionid"),
            DataClassification = ParseEnum<DataClassification>(Attribute("dataclassification"), "dataclassification", null),
            PartitionKey = Attribute("partitionkey"),
            Priority = ParseEnum<EventPriority>(Attribute("priority"), "priority", null),
            DataVersion = Attribute("dataversion"),
            TraceParent = Attribute("traceparent"),
            TraceState = Attribute("tracestate"),
            Data = data,
        };
    }

    /// <summary>
    /// Fills what the transport knows and the envelope did not say. An id-less event takes the AMQP
    /// message_id (the sender's own dedup key) before the hash of its body.
    /// </summary>
    private static CloudEvent Complete(CloudEvent cloudEvent, InboundMessage message, Func<string> hashId) => cloudEvent with
    {
        Id = cloudEvent.Id.Length > 0 ? cloudEvent.Id : NonBlank(message.MessageId) ?? hashId(),
        PartitionKey = cloudEvent.PartitionKey ?? NonBlank(message.Key),
        TraceParent = cloudEvent.TraceParent ?? NonBlank(Header(message, "traceparent")),
        TraceState = cloudEvent.TraceState ?? NonBlank(Header(message, "tracestate")),
    };

    private static Dictionary<string, (string Header, string Value)> BinaryAttributes(InboundMessage message)
    {
        var attributes = new Dictionary<string, (string, string)>(StringComparer.OrdinalIgnoreCase);
        foreach (var (header, value) in message.HeadersOrEmpty)
            foreach (var prefix in BinaryPrefixes)
                if (header.Length > prefix.Length && header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                    attributes[header[prefix.Length..].ToLowerInvariant()] = (header, value);
        return attributes;
    }

    private static string? Header(InboundMessage message, string name) =>
        message.HeadersOrEmpty.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    private JsonDocument Parse(ReadOnlyMemory<byte> utf8, string what)
    {
        // JsonDocument does not skip a UTF-8 byte order mark; some producers write one.
        if (utf8.Span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) utf8 = utf8[3..];
        if (utf8.IsEmpty) throw Error(EventErrorCode.UnreadableJson, $"{what} is empty.");
        try
        {
            return JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = Options.MaxDepth });
        }
        catch (JsonException ex)
        {
            throw Error(EventErrorCode.UnreadableJson, $"{what} is not valid JSON: {ex.Message}");
        }
    }

    private static JsonElement? Data(JsonElement container, string name) =>
        container.TryGetProperty(name, out var data) ? NullToAbsent(data.Clone()) : null;

    private static JsonElement? NullToAbsent(JsonElement element) =>
        element.ValueKind == JsonValueKind.Null ? null : element;

    private static JsonElement RequiredObject(JsonElement container, string name, string path)
    {
        if (!container.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            throw Missing(name, $"{path}.{name}");
        return value.ValueKind == JsonValueKind.Object
            ? value
            : throw Mistyped(name, $"{path}.{name}", "an object", value);
    }

    private static string RequiredString(JsonElement container, string name, string path) =>
        OptionalString(container, name, path) switch
        {
            null => throw Missing(name, $"{path}.{name}"),
            var blank when string.IsNullOrWhiteSpace(blank) =>
                throw Error(EventErrorCode.MissingField, $"Required field '{name}' is empty.", $"{path}.{name}"),
            var value => value,
        };

    private static string? OptionalString(JsonElement container, string name, string path)
    {
        if (!container.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw Mistyped(name, $"{path}.{name}", "a string", value);
    }

    /// <summary>Free-form metadata: only string values of the names we map are taken.</summary>
    private static string? MetadataString(JsonElement metadata, string name) =>
        metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static DateTimeOffset? Time(JsonElement container, string name, string path, bool allowEpochMilliseconds)
    {
        if (!container.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var time)) return time;
        if (allowEpochMilliseconds && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var milliseconds)
            && milliseconds is >= -62135596800000 and <= 253402300799999)
            return DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
        throw Mistyped(name, $"{path}.{name}",
            allowEpochMilliseconds ? "an ISO 8601 date-time string or epoch milliseconds" : "an RFC 3339 date-time string", value);
    }

    private static TEnum? ParseEnum<TEnum>(string? text, string name, string? path) where TEnum : struct, Enum
    {
        if (text is null) return null;
        // Documents write these in either case (LOW..CRITICAL, public..restricted), and only as names:
        // Enum.TryParse would also take "2" or "-1".
        foreach (var value in Enum.GetValues<TEnum>())
            if (string.Equals(value.ToString(), text, StringComparison.OrdinalIgnoreCase)) return value;
        throw Error(EventErrorCode.MistypedField,
            $"Field '{name}' must be one of {string.Join(", ", Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()))}, but is \"{text}\".", path);
    }

    private static string? NonBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static EventValidationException Missing(string name, string path) =>
        Error(EventErrorCode.MissingField, $"Required field '{name}' is missing.", path);

    private static EventValidationException Mistyped(string name, string path, string expected, JsonElement actual) =>
        Error(EventErrorCode.MistypedField,
            $"Field '{name}' must be {expected}, but is {Describe(actual)}.", path);

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string {value.GetRawText()}",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Array => "an array",
        _ => "an object",
    };

    private static EventValidationException Error(EventErrorCode code, string message, string? path = null) =>
        new(new EventError(code, message, path));
}
