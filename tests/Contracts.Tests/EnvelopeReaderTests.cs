using System.Text;
using static EventProcessors.Contracts.Tests.TestData;

namespace EventProcessors.Contracts.Tests;

public sealed class EnvelopeReaderTests
{
    private const string StockLowData =
        """{"productId":"p-1","productName":"Bolt","sku":"SKU-1","warehouseId":"w-1","warehouseName":"Main","currentQuantity":5,"minimumThreshold":10,"reorderLevel":20}""";

    private static Dictionary<string, string> KafkaHeaders() => new()
    {
        ["ce_specversion"] = "1.0",
        ["ce_id"] = "evt-42",
        ["ce_source"] = "inventory-service",
        ["ce_type"] = "stock.low",
        ["ce_time"] = "2024-01-15T09:00:00Z",
        ["ce_correlationid"] = "corr-123",
        ["ce_causationid"] = "evt-41",
        ["ce_tenantid"] = "tenant-123",
        ["ce_userid"] = "user-1",
        ["ce_sessionid"] = "sess-1",
        ["ce_dataclassification"] = "internal",
        ["ce_priority"] = "high",
        ["ce_dataversion"] = "1",
        ["ce_subject"] = "p-1",
        ["ce_traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ["content-type"] = "application/json",
    };

    private static CloudEvent ExpectedStockLow(CloudEvent actual) => new()
    {
        Id = "evt-42", Source = "inventory-service", Type = "stock.low", Time = At("2024-01-15T09:00:00Z"),
        DataContentType = "application/json", Subject = "p-1", CorrelationId = "corr-123", CausationId = "evt-41",
        TenantId = "tenant-123", UserId = "user-1", SessionId = "sess-1", DataClassification = DataClassification.Internal,
        PartitionKey = "p-1", Priority = EventPriority.High, DataVersion = "1",
        TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", Data = actual.Data,
    };

    [Fact]
    public void Kafka_binary_mode_reads_attributes_from_ce_headers_and_the_key_as_partition_key()
    {
        var e = ReadEvent(new InboundMessage(Utf8(StockLowData), KafkaHeaders(), Key: "p-1"));
        Assert.Equal(ExpectedStockLow(e), e);
        Assert.Equal(5m, Payload<Payloads.Collector.StockLow>(e).CurrentQuantity);
    }

    [Theory]
    [InlineData("cloudEvents_")]
    [InlineData("cloudEvents:")]
    public void Amqp_binary_mode_reads_attributes_from_cloudEvents_properties(string prefix)
    {
        var headers = KafkaHeaders().Where(h => h.Key.StartsWith("ce_", StringComparison.Ordinal))
            .ToDictionary(h => prefix + h.Key[3..], h => h.Value);
        headers[prefix + "partitionkey"] = "p-1";
        var e = ReadEvent(new InboundMessage(Utf8(StockLowData), headers, ContentType: "application/json"));
        Assert.Equal(ExpectedStockLow(e), e);
    }

    [Fact]
    public void Binary_mode_equals_the_same_event_in_structured_mode()
    {
        var structured = ReadEvent(Utf8($$"""
            {"specversion":"1.0","id":"evt-42","source":"inventory-service","type":"stock.low","time":"2024-01-15T09:00:00Z",
             "datacontenttype":"application/json","subject":"p-1","correlationid":"corr-123","causationid":"evt-41",
             "tenantid":"tenant-123","userid":"user-1","sessionid":"sess-1","dataclassification":"internal",
             "partitionkey":"p-1","priority":"high","dataversion":"1",
             "traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","data":{{StockLowData}}}
            """));
        var binary = ReadEvent(new InboundMessage(Utf8(StockLowData), KafkaHeaders(), Key: "p-1"));
        Assert.Equal(structured, binary);
    }

    [Fact]
    public void Structured_content_type_wins_over_stray_ce_headers()
    {
        var body = Utf8("""{"specversion":"1.0","id":"s-1","source":"src","type":"stock.low","data":{"a":1}}""");
        var e = ReadEvent(new InboundMessage(body, KafkaHeaders(), ContentType: "application/cloudevents+json; charset=utf-8"));
        Assert.Equal(("s-1", "src"), (e.Id, e.Source));
    }

    [Fact]
    public void Structured_mode_reads_data_base64()
    {
        var data = Convert.ToBase64String(Utf8("""{"equipmentId":"equip-123","newStatus":"down","oldStatus":"operational"}"""));
        var e = ReadEvent(Utf8($$"""{"specversion":"1.0","id":"b-1","source":"eq","type":"equipment.status.changed","data_base64":"{{data}}"}"""));
        Assert.Equal("down", Payload<Payloads.ManufacturingIntelligence.EquipmentStatusChanged>(e).NewStatus);
    }

    [Fact]
    public void Kafka_key_and_trace_headers_fill_what_the_envelope_lacks_but_never_override_it()
    {
        var headers = new Dictionary<string, string> { ["traceparent"] = "00-11111111111111111111111111111111-2222222222222222-01", ["tracestate"] = "k=v" };
        var mes = Example("Mes/work-order.created.json");
        var filled = ReadEvent(new InboundMessage(mes, headers, Key: "wo-123"));
        Assert.Equal(("wo-123", "00-11111111111111111111111111111111-2222222222222222-01", "k=v"),
            (filled.PartitionKey, filled.TraceParent, filled.TraceState));

        var partitioned = ReadEvent(new InboundMessage(Example("SharedEvents/user.registered.json"), Key: "other-key"));
        Assert.Equal("user-123", partitioned.PartitionKey);
    }

    [Fact]
    public void Mes_meta_maps_the_optional_tracing_and_context_fields_and_accepts_epoch_milliseconds()
    {
        var e = ReadEvent(Utf8("""
            {"type":"material.issued","meta":{"eventId":"m-1","source":"material-service","userId":"u-1","correlationId":"c-1",
             "causationId":"m-0","tenantId":"plant-a","sessionId":"s-1","eventVersion":"3","timestamp":1705309200000,"host":"node-4"},
             "data":{}}
            """));
        Assert.Equal(new CloudEvent
        {
            Id = "m-1", Type = "material.issued", Source = "material-service", Time = At("2024-01-15T09:00:00Z"), UserId = "u-1",
            CorrelationId = "c-1", CausationId = "m-0", TenantId = "plant-a", SessionId = "s-1", DataVersion = "3", Data = e.Data,
        }, e);
    }

    [Fact]
    public void A_body_with_a_utf8_byte_order_mark_reads()
    {
        var e = ReadEvent([0xEF, 0xBB, 0xBF, .. Example("Collector/stock.low.json")]);
        Assert.Equal(ReadEvent(Example("Collector/stock.low.json")), e);
    }

    // ---- ids -------------------------------------------------------------------------------------

    [Fact]
    public void A_redelivered_collector_body_gets_the_same_id()
    {
        var body = Example("Collector/order.created.json");
        Assert.Equal(ReadEvent(body).Id, ReadEvent(body.ToArray()).Id);
    }

    [Fact]
    public void The_id_hashes_the_canonical_body_so_formatting_and_member_order_do_not_matter()
    {
        var compact = """{"type":"stock.low","timestamp":"2024-01-15T09:00:00.000Z","tenantId":"t","source":"s","data":{"a":1,"b":[1,2]}}""";
        var reordered = """
            {
              "data": { "b": [ 1, 2 ], "a": 1 },
              "source": "s", "tenantId": "t",
              "timestamp": "2024-01-15T09:00:00.000Z", "type": "stock.low"
            }
            """;
        Assert.Equal(ReadEvent(Utf8(compact)).Id, ReadEvent(Utf8(reordered)).Id);
    }

    [Fact]
    public void Different_bodies_get_different_ids()
    {
        const string template = """{"type":"stock.low","timestamp":"2024-01-15T09:00:00.000Z","tenantId":"TENANT","source":"s","data":{"q":QTY,"l":[1,2]}}""";
        string Body(string tenant = "t", string quantity = "5") => template.Replace("TENANT", tenant).Replace("QTY", quantity);
        var ids = new[]
        {
            Body(), Body(tenant: "t2"), Body(quantity: "6"), Body(quantity: "5.0"), Body(quantity: "\"5\""),
            Body().Replace("[1,2]", "[2,1]"), Body().Replace("09:00:00.000Z", "09:00:01.000Z"),
        }.Select(b => ReadEvent(Utf8(b)).Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{32}$", id));
    }

    [Fact]
    public void The_amqp_message_id_wins_over_the_hash_when_present()
    {
        var body = Example("Collector/order.created.json");
        Assert.Equal("amqp-7f3a", ReadEvent(body, messageId: "amqp-7f3a").Id);
        Assert.Equal(ReadEvent(body).Id, ReadEvent(body, messageId: "  ").Id);
    }

    [Fact]
    public void An_id_in_the_envelope_wins_over_the_message_id()
    {
        var e = ReadEvent(Example("Mes/work-order.created.json"), messageId: "amqp-7f3a");
        Assert.Equal("0f8e3c2a-5b1d-4e7f-9a6c-2d4b8e1f3a70", e.Id);
    }

    [Fact]
    public void An_id_less_binary_event_takes_the_message_id_or_else_a_hash_of_attributes_and_data()
    {
        var headers = KafkaHeaders();
        headers.Remove("ce_id");
        InboundMessage Message(string data, string? messageId = null) => new(Utf8(data), headers, MessageId: messageId);

        Assert.Equal("m-1", ReadEvent(Message(StockLowData, "m-1")).Id);
        var first = ReadEvent(Message(StockLowData)).Id;
        Assert.Equal(first, ReadEvent(Message(StockLowData)).Id);
        Assert.NotEqual(first, ReadEvent(Message(StockLowData.Replace("\"currentQuantity\":5", "\"currentQuantity\":4"))).Id);
    }

    // ---- malformed input: each gets its precise error ----------------------------------------------

    [Fact]
    public void Invalid_json_is_unreadable()
    {
        var error = ReadError(Utf8("""{"type": "stock.low", """));
        Assert.Equal(EventErrorCode.UnreadableJson, error.Code);
        Assert.StartsWith("The body is not valid JSON: ", error.Message);
    }

    [Fact]
    public void An_empty_body_is_unreadable() =>
        Assert.Equal(new EventError(EventErrorCode.UnreadableJson, "The body is empty."), ReadError([]));

    [Fact]
    public void Json_nested_deeper_than_the_limit_is_unreadable()
    {
        var reader = new EnvelopeReader(new EnvelopeReaderOptions { MaxDepth = 4 });
        var error = reader.Read(new InboundMessage(Utf8("""{"type":"t","source":"s","tenantId":"t","timestamp":"2024-01-15T09:00:00Z","data":{"a":{"b":{"c":{}}}}}"""))).Error;
        Assert.Equal(EventErrorCode.UnreadableJson, error?.Code);
    }

    [Fact]
    public void A_json_array_is_not_an_envelope() =>
        Assert.Equal(new EventError(EventErrorCode.UnknownShape, "The body is a JSON array; an event envelope is a JSON object."),
            ReadError(Utf8("""[{"type":"stock.low"}]""")));

    [Fact]
    public void An_object_of_no_known_shape_is_reported_with_its_members()
    {
        var error = ReadError(Utf8("""{"event":"stock.low","body":{}}"""));
        Assert.Equal(EventErrorCode.UnknownShape, error.Code);
        Assert.EndsWith("Its members are: event, body.", error.Message);
    }

    [Theory]
    [InlineData("""{"timestamp":"2024-01-15T09:00:00Z","tenantId":"t","source":"s","data":{}}""", "$.type", "type")]
    [InlineData("""{"type":"stock.low","timestamp":"2024-01-15T09:00:00Z","source":"s","data":{}}""", "$.tenantId", "tenantId")]
    [InlineData("""{"type":"stock.low","tenantId":"t","source":"s","data":{}}""", "$.timestamp", "timestamp")]
    [InlineData("""{"type":"stock.low","timestamp":"2024-01-15T09:00:00Z","tenantId":"t","data":{}}""", "$.source", "source")]
    [InlineData("""{"meta":{"source":"s"},"data":{}}""", "$.type", "type")]
    [InlineData("""{"type":"work-order.created","meta":{"eventId":"e"},"data":{}}""", "$.meta.source", "source")]
    [InlineData("""{"id":"x","type":"equipment.status.changed","payload":{}}""", "$.source", "source")]
    [InlineData("""{"metadata":{"eventId":"e","source":"s"},"data":{}}""", "$.metadata.eventType", "eventType")]
    [InlineData("""{"specversion":"1.0","id":"x","source":"s"}""", "$.type", "type")]
    public void A_missing_required_envelope_field_is_named_with_its_path(string body, string path, string field) =>
        Assert.Equal(new EventError(EventErrorCode.MissingField, $"Required field '{field}' is missing.", path), ReadError(Utf8(body)));

    [Fact]
    public void An_empty_type_is_missing() =>
        Assert.Equal(new EventError(EventErrorCode.MissingField, "Required field 'type' is empty.", "$.type"),
            ReadError(Utf8("""{"type":" ","timestamp":"2024-01-15T09:00:00Z","tenantId":"t","source":"s","data":{}}""")));

    [Theory]
    [InlineData("""{"type":"stock.low","timestamp":"yesterday","tenantId":"t","source":"s","data":{}}""", "$.timestamp",
        "Field 'timestamp' must be an ISO 8601 date-time string or epoch milliseconds, but is the string \"yesterday\".")]
    [InlineData("""{"type":"stock.low","timestamp":true,"tenantId":"t","source":"s","data":{}}""", "$.timestamp",
        "Field 'timestamp' must be an ISO 8601 date-time string or epoch milliseconds, but is true.")]
    [InlineData("""{"metadata":{"eventType":"x","source":"s","timestamp":1e30},"data":{}}""", "$.metadata.timestamp",
        "Field 'timestamp' must be an ISO 8601 date-time string or epoch milliseconds, but is the number 1e30.")]
    [InlineData("""{"specversion":"1.0","id":"x","source":"s","type":"t","time":1705309200000}""", "$.time",
        "Field 'time' must be an RFC 3339 date-time string, but is the number 1705309200000.")]
    [InlineData("""{"type":42,"timestamp":"2024-01-15T09:00:00Z","tenantId":"t","source":"s","data":{}}""", "$.type",
        "Field 'type' must be a string, but is the number 42.")]
    [InlineData("""{"type":"t","meta":"work-order-service","data":{}}""", "$.meta",
        "Field 'meta' must be an object, but is the string \"work-order-service\".")]
    [InlineData("""{"id":"x","type":"t","source":"s","payload":{},"priority":"URGENT"}""", "$.priority",
        "Field 'priority' must be one of low, normal, high, critical, but is \"URGENT\".")]
    [InlineData("""{"id":"x","type":"t","source":"s","payload":{},"priority":"2"}""", "$.priority",
        "Field 'priority' must be one of low, normal, high, critical, but is \"2\".")]
    [InlineData("""{"metadata":{"eventType":"x","source":"s","dataClassification":"secret"},"data":{}}""", "$.metadata.dataClassification",
        "Field 'dataClassification' must be one of public, internal, confidential, restricted, but is \"secret\".")]
    public void A_mistyped_envelope_field_is_named_with_its_path_and_what_was_expected(string body, string path, string message) =>
        Assert.Equal(new EventError(EventErrorCode.MistypedField, message, path), ReadError(Utf8(body)));

    [Fact]
    public void An_unsupported_specversion_is_invalid() =>
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "CloudEvents specversion '0.3' is not supported; expected 1.0.", "$.specversion"),
            ReadError(Utf8("""{"specversion":"0.3","id":"x","source":"s","type":"t"}""")));

    [Fact]
    public void Binary_mode_errors_name_the_attribute_and_header()
    {
        var noType = KafkaHeaders();
        noType.Remove("ce_type");
        Assert.Equal(new EventError(EventErrorCode.MissingField,
                "The binary-mode CloudEvent has no 'type' attribute (header ce_type or cloudEvents_type)."),
            ReadError(new InboundMessage(Utf8(StockLowData), noType)));

        var badTime = KafkaHeaders();
        badTime["ce_time"] = "15/01/2024";
        Assert.Equal(new EventError(EventErrorCode.MistypedField,
                "Attribute 'time' (header ce_time) must be an RFC 3339 date-time, but is \"15/01/2024\"."),
            ReadError(new InboundMessage(Utf8(StockLowData), badTime)));

        var badPriority = KafkaHeaders();
        badPriority["ce_priority"] = "urgent";
        Assert.Equal(new EventError(EventErrorCode.MistypedField,
                "Field 'priority' must be one of low, normal, high, critical, but is \"urgent\"."),
            ReadError(new InboundMessage(Utf8(StockLowData), badPriority)));

        var notJson = ReadError(new InboundMessage(Utf8("quantity=5"), KafkaHeaders()));
        Assert.Equal(EventErrorCode.UnreadableJson, notJson.Code);
        Assert.StartsWith("The binary-mode body (the event data) is not valid JSON: ", notJson.Message);
    }

    [Fact]
    public void A_body_over_the_limit_is_rejected_before_parsing()
    {
        var oversize = new byte[256 * 1024 + 1];
        Assert.Equal(new EventError(EventErrorCode.PayloadTooLarge, "The body is 262145 bytes; the limit is 262144 bytes."),
            ReadError(oversize));

        var small = new EnvelopeReader(new EnvelopeReaderOptions { MaxBodyBytes = 100 });
        var body = Example("Collector/stock.low.json");
        Assert.Equal(EventErrorCode.PayloadTooLarge, small.Read(new InboundMessage(body)).Error?.Code);
        Assert.True(new EnvelopeReader(new EnvelopeReaderOptions { MaxBodyBytes = body.Length }).Read(new InboundMessage(body)).IsSuccess);
    }

    [Fact]
    public void The_default_limit_is_256_KiB() => Assert.Equal(256 * 1024, EnvelopeReader.Default.Options.MaxBodyBytes);

    [Fact]
    public void Garbage_of_every_kind_yields_an_error_never_an_exception()
    {
        string[] bodies = ["null", "42", "\"text\"", "{}", "{\"data\":null}", "{\"meta\":null,\"type\":\"t\"}",
            "{\"payload\":1}", "{\"metadata\":[]}", "{\"specversion\":1}", "\u00ff\u00fe", "{\"specversion\":\"1.0\",\"data_base64\":\"@@\"}"];
        foreach (var body in bodies)
            Assert.False(EnvelopeReader.Default.Read(new InboundMessage(Encoding.Latin1.GetBytes(body))).IsSuccess, body);
    }
}
