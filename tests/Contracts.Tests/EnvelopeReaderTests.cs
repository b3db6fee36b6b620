using System.Globalization;
using System.Text;
using System.Text.Json;
using EventProcessors.Contracts.Payloads.Collector;

namespace EventProcessors.Contracts.Tests;

/// <summary>
/// The reader beyond the seed examples: binary mode with every attribute, the optional MES attributes, ids of
/// id-less events of every shape, and the precise error (code and path) of each kind of malformed envelope.
/// </summary>
public sealed class EnvelopeReaderTests
{
    private static readonly EnvelopeReader Reader = new();

    private const string StockLowData =
        """{"productId":"p-1","productName":"Bolt","sku":"SKU-1","warehouseId":"w-1","warehouseName":"Main","currentQuantity":5,"minimumThreshold":10,"reorderLevel":20}""";

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture);

    private static CloudEvent Read(InboundMessage message)
    {
        var result = Reader.Read(message);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }

    private static CloudEvent Read(string json, string? messageId = null) => Read(new InboundMessage(Utf8(json), MessageId: messageId));

    private static EventError ReadError(InboundMessage message)
    {
        var result = Reader.Read(message);
        Assert.False(result.IsSuccess, "the reader accepted a malformed message");
        return result.Error;
    }

    private static EventError ReadError(string body) => ReadError(new InboundMessage(Utf8(body)));

    // ---- binary mode ---------------------------------------------------------------------------------------

    private static Dictionary<string, string> KafkaHeaders() => new()
    {
        ["ce_specversion"] = "1.0",
        ["ce_id"] = "evt-42",
        ["ce_source"] = "inventory-service",
        ["ce_type"] = "stock.low",
        ["ce_time"] = "2024-01-15T09:00:00Z",
        ["ce_subject"] = "p-1",
        ["ce_dataschema"] = "https://example.test/stock-low.json",
        ["ce_correlationid"] = "corr-123",
        ["ce_causationid"] = "evt-41",
        ["ce_tenantid"] = "tenant-123",
        ["ce_userid"] = "user-1",
        ["ce_sessionid"] = "sess-1",
        ["ce_dataclassification"] = "internal",
        ["ce_priority"] = "high",
        ["ce_dataversion"] = "1",
        ["ce_traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ["ce_tracestate"] = "congo=t61rcWkgMzE",
    };

    private static CloudEvent ExpectedStockLow(CloudEvent actual, string? partitionKey) => new()
    {
        Id = "evt-42", Source = "inventory-service", Type = "stock.low", Time = At("2024-01-15T09:00:00Z"), Subject = "p-1",
        DataSchema = "https://example.test/stock-low.json", CorrelationId = "corr-123", CausationId = "evt-41", TenantId = "tenant-123",
        UserId = "user-1", SessionId = "sess-1", DataClassification = DataClassification.Internal, PartitionKey = partitionKey,
        Priority = EventPriority.High, DataVersion = "1", TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        TraceState = "congo=t61rcWkgMzE", Data = actual.Data,
    };

    [Fact]
    public void Kafka_binary_mode_reads_every_attribute_from_ce_headers_and_the_key_as_partition_key()
    {
        var e = Read(new InboundMessage(Utf8(StockLowData), KafkaHeaders(), Key: "p-1"));

        Assert.Equal(ExpectedStockLow(e, partitionKey: "p-1"), e);
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(StockLowData).RootElement, e.Data!.Value));
        Assert.Equal(5m, EventCatalog.ReadPayload<StockLow>(e).CurrentQuantity);
    }

    [Theory]
    [InlineData("cloudEvents_")]
    [InlineData("cloudEvents:")]
    public void Amqp_binary_mode_reads_every_attribute_from_cloudEvents_properties(string prefix)
    {
        var headers = KafkaHeaders().ToDictionary(h => prefix + h.Key["ce_".Length..], h => h.Value);
        headers[prefix + "partitionkey"] = "p-1";

        var e = Read(new InboundMessage(Utf8(StockLowData), headers, ContentType: "application/json"));

        Assert.Equal(ExpectedStockLow(e, partitionKey: "p-1"), e);
    }

    [Fact]
    public void A_partitionkey_attribute_wins_over_the_kafka_key()
    {
        var headers = KafkaHeaders();
        headers["ce_partitionkey"] = "p-1";
        Assert.Equal("p-1", Read(new InboundMessage(Utf8(StockLowData), headers, Key: "other-key")).PartitionKey);
    }

    [Fact]
    public void Binary_mode_equals_the_same_event_in_structured_mode()
    {
        var structured = Read($$"""
            {"specversion":"1.0","id":"evt-42","source":"inventory-service","type":"stock.low","time":"2024-01-15T09:00:00Z",
             "datacontenttype":"application/json","subject":"p-1","dataschema":"https://example.test/stock-low.json",
             "correlationid":"corr-123","causationid":"evt-41","tenantid":"tenant-123","userid":"user-1","sessionid":"sess-1",
             "dataclassification":"internal","partitionkey":"p-1","priority":"high","dataversion":"1",
             "traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","tracestate":"congo=t61rcWkgMzE","data":{{StockLowData}}}
            """);
        var binary = Read(new InboundMessage(Utf8(StockLowData), KafkaHeaders(), Key: "p-1"));

        Assert.Equal(ExpectedStockLow(structured, partitionKey: "p-1"), structured);
        Assert.Equal(structured.ToJsonBytes(), binary.ToJsonBytes());
    }

    [Fact]
    public void The_transport_content_type_is_the_data_content_type_in_binary_mode()
    {
        var headers = KafkaHeaders();
        headers["ce_datacontenttype"] = "application/vnd.test+json";
        Assert.Equal("application/vnd.test+json", Read(new InboundMessage(Utf8(StockLowData), headers)).DataContentType);
        Assert.Equal("application/json; charset=utf-8",
            Read(new InboundMessage(Utf8(StockLowData), headers, ContentType: "application/json; charset=utf-8")).DataContentType);
    }

    // ---- the optional attributes of the other shapes ---------------------------------------------------

    [Fact]
    public void Mes_meta_maps_causation_tenant_and_version_and_accepts_epoch_milliseconds()
    {
        var e = Read("""
            {"type":"material.issued","meta":{"eventId":"m-1","source":"material-service","userId":"u-1","correlationId":"c-1",
             "causationId":"m-0","tenantId":"plant-a","version":"3","timestamp":1705309200000,"host":"node-4"},
             "data":{}}
            """);

        Assert.Equal(new CloudEvent
        {
            Id = "m-1", Type = "material.issued", Source = "material-service", Time = At("2024-01-15T09:00:00Z"), UserId = "u-1",
            CorrelationId = "c-1", CausationId = "m-0", TenantId = "plant-a", DataVersion = "3", Data = e.Data,
        }, e);
    }

    [Fact]
    public void Shared_events_envelope_carries_platform_events_too()
    {
        var e = Read($$"""
            {"metadata":{"eventId":"se-1","eventType":"stock.low","eventVersion":"2","correlationId":"c-1",
                         "timestamp":1705309200000,"source":"inventory-service","tenantId":"tenant-123"},
             "data":{{StockLowData}}}
            """);

        Assert.Equal(new CloudEvent
        {
            Id = "se-1", Type = "stock.low", Source = "inventory-service", Time = At("2024-01-15T09:00:00Z"), DataVersion = "2",
            CorrelationId = "c-1", TenantId = "tenant-123", Data = e.Data,
        }, e);
        Assert.Equal(20m, EventCatalog.ReadPayload<StockLow>(e).ReorderLevel);
    }

    [Fact]
    public void Time_zones_are_normalised_and_a_time_without_one_is_utc()
    {
        static DateTimeOffset? TimeOf(string timestamp) =>
            Read($$$"""{"type":"stock.low","timestamp":"{{{timestamp}}}","tenantId":"t","source":"s","data":{}}""").Time;

        Assert.Equal(At("2024-01-15T09:00:00Z"), TimeOf("2024-01-15T10:00:00+01:00"));
        Assert.Equal(TimeSpan.Zero, TimeOf("2024-01-15T10:00:00+01:00")!.Value.Offset);
        Assert.Equal(At("2024-01-15T09:00:00Z"), TimeOf("2024-01-15T09:00:00"));
    }

    // ---- ids of id-less events, every shape ------------------------------------------------------------

    [Theory]
    [InlineData("""{ "type": "material.issued", "meta": { "source": "material-service", "timestamp": "2025-10-19T08:00:00Z" }, "data": { "lotNumber": "LOT-1" } }""")]
    [InlineData("""{ "metadata": { "eventType": "stock.low", "source": "inventory-service", "timestamp": 1705309200000 }, "data": { "productId": "p-1" } }""")]
    [InlineData("""{ "type": "equipment.status.changed", "source": "equipment-service", "timestamp": "2025-01-10T12:00:00Z", "payload": { "equipmentId": "equip-123" } }""")]
    [InlineData("""{ "type": "stock.low", "timestamp": "2024-01-15T09:00:00.000Z", "tenantId": "tenant-123", "source": "inventory-service", "data": { "productId": "p-1" } }""")]
    public void An_id_less_event_of_any_shape_gets_the_message_id_or_else_the_name_based_id_of_its_compact_body(string json)
    {
        var indented = JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement, new JsonSerializerOptions { WriteIndented = true });

        Assert.Equal("amqp-7f3a", Read(json, messageId: "amqp-7f3a").Id);
        Assert.Equal(ExpectedIds.NameBased(ExpectedIds.Compact(json)), Read(json).Id);
        Assert.Equal(Read(json).Id, Read(indented).Id);
        Assert.NotEqual(Read(json).Id, Read(json.Replace("\"p-1\"", "\"p-2\"", StringComparison.Ordinal)
            .Replace("\"LOT-1\"", "\"LOT-2\"", StringComparison.Ordinal).Replace("\"equip-123\"", "\"equip-124\"", StringComparison.Ordinal)).Id);
    }

    [Fact]
    public void An_id_in_the_envelope_wins_over_the_message_id()
    {
        var e = Read("""{ "type": "material.issued", "meta": { "eventId": "m-1", "source": "s", "timestamp": "2025-10-19T08:00:00Z" }, "data": {} }""",
            messageId: "amqp-7f3a");
        Assert.Equal("m-1", e.Id);
    }

    [Fact]
    public void A_binary_mode_event_must_carry_its_id()
    {
        // CloudEvents makes id required; only the documented id-less shapes get a derived one.
        var headers = KafkaHeaders();
        headers.Remove("ce_id");
        var error = ReadError(new InboundMessage(Utf8(StockLowData), headers, MessageId: "m-1"));
        Assert.Equal((EventErrorCode.MissingField, "headers.id"), (error.Code, error.Path));
    }

    // ---- malformed envelopes: each gets its precise error ---------------------------------------------

    [Fact]
    public void An_empty_body_is_unreadable() =>
        Assert.Equal((EventErrorCode.UnreadableJson, "$"), (ReadError("").Code, ReadError("").Path));

    [Theory]
    [InlineData("""{"timestamp":"2024-01-15T09:00:00Z","tenantId":"t","source":"s","type":null,"data":{}}""", "$.type")]
    [InlineData("""{"type":"stock.low","timestamp":"2024-01-15T09:00:00Z","source":"s","data":{}}""", "$.tenantId")]
    [InlineData("""{"type":"stock.low","timestamp":"2024-01-15T09:00:00Z","tenantId":"","source":"s","data":{}}""", "$.tenantId")]
    [InlineData("""{"type":"stock.low","tenantId":"t","source":"s","data":{}}""", "$.timestamp")]
    [InlineData("""{"type":"stock.low","timestamp":"2024-01-15T09:00:00Z","tenantId":"t","data":{}}""", "$.source")]
    [InlineData("""{"type":"stock.low","timestamp":"2024-01-15T09:00:00Z","tenantId":"t","source":"s","data":null}""", "$.data")]
    [InlineData("""{"meta":{"source":"s","timestamp":"2024-01-15T09:00:00Z"},"data":{}}""", "$.type")]
    [InlineData("""{"type":"work-order.created","meta":{"eventId":"e","timestamp":"2024-01-15T09:00:00Z"},"data":{}}""", "$.meta.source")]
    [InlineData("""{"type":"work-order.created","meta":{"eventId":"e","source":"s"},"data":{}}""", "$.meta.timestamp")]
    [InlineData("""{"type":"work-order.created","meta":{"eventId":"e","source":"s","timestamp":"2024-01-15T09:00:00Z"}}""", "$.data")]
    [InlineData("""{"id":"x","type":"equipment.status.changed","timestamp":"2024-01-15T09:00:00Z","payload":{}}""", "$.source")]
    [InlineData("""{"id":"x","type":"equipment.status.changed","source":"s","payload":{}}""", "$.timestamp")]
    [InlineData("""{"metadata":{"eventId":"e","eventType":"stock.low","timestamp":1},"data":{}}""", "$.metadata.source")]
    [InlineData("""{"metadata":{"eventId":"e","eventType":"stock.low","source":"s"},"data":{}}""", "$.metadata.timestamp")]
    [InlineData("""{"specversion":"1.0","id":"x","source":"s"}""", "$.type")]
    [InlineData("""{"specversion":"1.0","id":"x","type":"t"}""", "$.source")]
    public void A_missing_required_envelope_field_is_named_with_its_path(string body, string path)
    {
        var error = ReadError(body);
        Assert.Equal((EventErrorCode.MissingField, path), (error.Code, error.Path));
        Assert.Contains($"'{path[(path.LastIndexOf('.') + 1)..]}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"type":"stock.low","timestamp":"15/01/2024","tenantId":"t","source":"s","data":{}}""", "$.timestamp", "15/01/2024")]
    [InlineData("""{"type":"stock.low","timestamp":true,"tenantId":"t","source":"s","data":{}}""", "$.timestamp", "true")]
    [InlineData("""{"metadata":{"eventType":"x","source":"s","timestamp":1e30},"data":{}}""", "$.metadata.timestamp", "1e30")]
    [InlineData("""{"metadata":{"eventType":"x","source":"s","timestamp":-1},"data":{}}""", "$.metadata.timestamp", "-1")]
    [InlineData("""{"type":"t","meta":{"source":"s","timestamp":"noon"},"data":{}}""", "$.meta.timestamp", "noon")]
    [InlineData("""{"specversion":"1.0","id":"x","source":"s","type":"t","time":"yesterday"}""", "$.time", "yesterday")]
    [InlineData("""{"specversion":"1.0","id":"x","source":"s","type":"t","time":1705309200000}""", "$.time", "")]
    [InlineData("""{"type":42,"timestamp":"2024-01-15T09:00:00Z","tenantId":"t","source":"s","data":{}}""", "$.type", "number")]
    [InlineData("""{"type":"stock.low","timestamp":"2024-01-15T09:00:00Z","tenantId":7,"source":"s","data":{}}""", "$.tenantId", "number")]
    [InlineData("""{"type":"stock.low","timestamp":"2024-01-15T09:00:00Z","tenantId":"t","source":"s","data":[]}""", "$.data", "array")]
    [InlineData("""{"type":"t","meta":{"eventId":5,"source":"s","timestamp":"2024-01-15T09:00:00Z"},"data":{}}""", "$.meta.eventId", "number")]
    [InlineData("""{"id":"x","type":"t","source":"s","timestamp":"2024-01-15T09:00:00Z","payload":"on"}""", "$.payload", "string")]
    [InlineData("""{"id":"x","type":"t","source":"s","timestamp":"2024-01-15T09:00:00Z","payload":{},"priority":"URGENT"}""", "$.priority", "URGENT")]
    [InlineData("""{"metadata":{"eventType":"x","source":"s","timestamp":1,"dataClassification":"secret"},"data":{}}""", "$.metadata.dataClassification", "secret")]
    [InlineData("""{"specversion":"1.0","id":"x","source":"s","type":"t","priority":"urgent"}""", "$.priority", "")]
    [InlineData("""{"specversion":"1.0","id":"x","source":"s","type":"t","dataclassification":"secret"}""", "$.dataclassification", "")]
    [InlineData("""{"specversion":1,"id":"x","source":"s","type":"t"}""", "$.specversion", "number")]
    public void A_mistyped_envelope_field_is_named_with_its_path_and_value(string body, string path, string shown)
    {
        var error = ReadError(body);
        Assert.Equal((EventErrorCode.MistypedField, path), (error.Code, error.Path));
        Assert.Contains(shown, error.Message, StringComparison.Ordinal);
    }

    // Integers are no enum names: the default enum converter would read priority 2 as high and classification 3 as
    // restricted, silently raising or lowering how an event is handled.
    [Theory]
    [InlineData("""{"id":"x","type":"t","source":"s","timestamp":"2024-01-15T09:00:00Z","payload":{},"priority":"2"}""", "$.priority")]
    [InlineData("""{"metadata":{"eventType":"x","source":"s","timestamp":1,"dataClassification":"3"},"data":{}}""", "$.metadata.dataClassification")]
    [InlineData("""{"specversion":"1.0","id":"x","source":"s","type":"t","priority":2}""", "$.priority")]
    [InlineData("""{"specversion":"1.0","id":"x","source":"s","type":"t","priority":"2"}""", "$.priority")]
    [InlineData("""{"specversion":"1.0","id":"x","source":"s","type":"t","dataclassification":1}""", "$.dataclassification")]
    public void A_number_is_not_a_priority_or_classification(string body, string path) =>
        Assert.Equal((EventErrorCode.MistypedField, path), (ReadError(body).Code, ReadError(body).Path));

    [Fact]
    public void A_number_is_not_a_priority_or_classification_in_binary_mode_either()
    {
        var priority = KafkaHeaders();
        priority["ce_priority"] = "3";
        var classification = KafkaHeaders();
        classification["ce_dataclassification"] = "0";

        Assert.Equal((EventErrorCode.MistypedField, "headers.priority"),
            (ReadError(new InboundMessage(Utf8(StockLowData), priority)).Code, ReadError(new InboundMessage(Utf8(StockLowData), priority)).Path));
        Assert.Equal((EventErrorCode.MistypedField, "headers.dataclassification"),
            (ReadError(new InboundMessage(Utf8(StockLowData), classification)).Code, ReadError(new InboundMessage(Utf8(StockLowData), classification)).Path));
    }

    [Fact]
    public void An_unsupported_specversion_is_invalid()
    {
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "specversion '0.3' is not supported; only 1.0 is.", "$.specversion"),
            ReadError("""{"specversion":"0.3","id":"x","source":"s","type":"t"}"""));

        var headers = KafkaHeaders();
        headers["ce_specversion"] = "0.3";
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "specversion '0.3' is not supported; only 1.0 is.", "headers.specversion"),
            ReadError(new InboundMessage(Utf8(StockLowData), headers)));
    }

    [Fact]
    public void Binary_mode_errors_name_the_attribute()
    {
        foreach (var attribute in new[] { "id", "source" }) // type: MalformedEventTests
        {
            var headers = KafkaHeaders();
            headers.Remove("ce_" + attribute);
            var error = ReadError(new InboundMessage(Utf8(StockLowData), headers));
            Assert.Equal((EventErrorCode.MissingField, $"headers.{attribute}"), (error.Code, error.Path));
            Assert.Contains($"ce_{attribute}", error.Message, StringComparison.Ordinal);
        }

        var badTime = KafkaHeaders();
        badTime["ce_time"] = "15/01/2024";
        var time = ReadError(new InboundMessage(Utf8(StockLowData), badTime));
        Assert.Equal((EventErrorCode.MistypedField, "headers.time"), (time.Code, time.Path));
        Assert.Contains("15/01/2024", time.Message, StringComparison.Ordinal);

        var badPriority = KafkaHeaders();
        badPriority["ce_priority"] = "urgent";
        var priority = ReadError(new InboundMessage(Utf8(StockLowData), badPriority));
        Assert.Equal((EventErrorCode.MistypedField, "headers.priority"), (priority.Code, priority.Path));
        Assert.Contains("low, normal, high, critical", priority.Message, StringComparison.Ordinal);

        Assert.Equal(EventErrorCode.UnreadableJson, ReadError(new InboundMessage(Utf8("quantity=5"), KafkaHeaders())).Code);
    }

    [Fact]
    public void The_size_limit_is_inclusive_and_256_KiB_by_default()
    {
        var body = Utf8(SeedExamples.Collector["stock.low"]);
        Assert.True(new EnvelopeReader(new EnvelopeReaderOptions { MaxBodyBytes = body.Length }).Read(new InboundMessage(body)).IsSuccess);
        var over = new EnvelopeReader(new EnvelopeReaderOptions { MaxBodyBytes = body.Length - 1 }).Read(new InboundMessage(body)).Error;
        Assert.Equal((EventErrorCode.PayloadTooLarge, "$"), (over?.Code, over?.Path));

        Assert.Equal(256 * 1024, new EnvelopeReaderOptions().MaxBodyBytes);
        Assert.Equal(EventErrorCode.PayloadTooLarge, ReadError(new InboundMessage(new byte[256 * 1024 + 1])).Code);
        // At the limit the body is parsed (and is no JSON), so the limit itself is not refused.
        Assert.Equal(EventErrorCode.UnreadableJson, ReadError(new InboundMessage(new byte[256 * 1024])).Code);
    }

    [Theory]
    [InlineData("null", EventErrorCode.UnknownShape)]
    [InlineData("42", EventErrorCode.UnknownShape)]
    [InlineData("\"text\"", EventErrorCode.UnknownShape)]
    [InlineData("{}", EventErrorCode.UnknownShape)]
    [InlineData("{\"data\":null}", EventErrorCode.UnknownShape)]
    [InlineData("{\"meta\":null,\"type\":\"t\"}", EventErrorCode.UnknownShape)]
    [InlineData("{\"payload\":1}", EventErrorCode.UnknownShape)]
    [InlineData("{\"metadata\":[]}", EventErrorCode.UnknownShape)]
    [InlineData("{\"metadata\":{\"eventType\":1}}", EventErrorCode.MistypedField)]
    [InlineData("{\"type\":\"t\",\"payload\":1}", EventErrorCode.MissingField)]
    [InlineData("{\"specversion\":\"1.0\",\"data_base64\":\"@@\"}", EventErrorCode.MissingField)]
    [InlineData("\u00ff\u00fe", EventErrorCode.UnreadableJson)]
    public void Garbage_of_every_kind_yields_an_error_never_an_exception(string body, EventErrorCode code) =>
        Assert.Equal(code, Reader.Read(new InboundMessage(Encoding.Latin1.GetBytes(body))).Error?.Code);
}
