using System.Text;

namespace EventProcessors.Contracts.Tests;

/// <summary>Each kind of bad input gets its own precise error, naming the field where there is one.</summary>
public sealed class MalformedEventTests
{
    private static EventError ReadError(string body, IReadOnlyDictionary<string, string>? headers = null, int maxBytes = 256 * 1024)
    {
        var result = new EnvelopeReader(new EnvelopeReaderOptions { MaxBodyBytes = maxBytes })
            .Read(new InboundMessage(Encoding.UTF8.GetBytes(body), headers));
        if (!result.IsSuccess) return result.Error;
        Assert.False(EventCatalog.TryReadPayload(result.Value, out _, out var error), "expected the payload to be rejected");
        return error;
    }

    private static string OrderCreated(string lineItem = """{ "productId": "p-1", "description": "Product Name", "quantity": 5, "unitPrice": "300.00" }""",
        string timestamp = "\"2024-01-15T10:35:00.000Z\"", string type = "order.created") => $$"""
        { "type": "{{type}}", "timestamp": {{timestamp}}, "tenantId": "tenant-123", "source": "orders-service",
          "data": { "orderId": "o-1", "orderNumber": "ORD-1", "customerId": "c-1", "lineItems": [ {{lineItem}} ], "currency": "USD", "grandTotal": "1500.00" } }
        """;

    [Fact]
    public void Invalid_json() =>
        Assert.Equal(EventErrorCode.UnreadableJson, ReadError("{ \"type\": ").Code);

    [Fact]
    public void Json_array_is_no_event()
    {
        var error = ReadError("[ { \"type\": \"order.created\" } ]");
        Assert.Equal((EventErrorCode.UnknownShape, "$"), (error.Code, error.Path));
        Assert.Contains("array", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Object_of_no_known_shape() =>
        Assert.Equal(EventErrorCode.UnknownShape, ReadError("""{ "event": "order.created", "body": {} }""").Code);

    [Fact]
    public void Missing_type_names_the_field()
    {
        var error = ReadError("""{ "meta": { "eventId": "e-1", "source": "s", "timestamp": "2024-01-15T10:35:00Z" }, "data": {} }""");
        Assert.Equal((EventErrorCode.MissingField, "$.type"), (error.Code, error.Path));
    }

    [Fact]
    public void Missing_required_payload_field_names_its_path()
    {
        var error = ReadError(OrderCreated("""{ "productId": "p-1", "description": "Product Name", "unitPrice": "300.00" }"""));
        Assert.Equal(new EventError(EventErrorCode.MissingField, "Required field 'quantity' is missing.", "$.data.lineItems[0].quantity"), error);
    }

    [Fact]
    public void Non_numeric_string_for_a_number_is_mistyped()
    {
        var error = ReadError(OrderCreated("""{ "productId": "p-1", "description": "Product Name", "quantity": "five", "unitPrice": "300.00" }"""));
        Assert.Equal(new EventError(EventErrorCode.MistypedField,
            "Field 'quantity' must be a number (or a string holding one), but is the string \"five\".", "$.data.lineItems[0].quantity"), error);
    }

    [Fact]
    public void Bad_date_is_mistyped()
    {
        var error = ReadError(OrderCreated(timestamp: "\"yesterday\""));
        Assert.Equal((EventErrorCode.MistypedField, "$.timestamp"), (error.Code, error.Path));
    }

    [Fact]
    public void Unknown_type_is_reported_as_such()
    {
        var error = ReadError(OrderCreated(type: "order.teleported"));
        Assert.Equal(new EventError(EventErrorCode.UnknownType, "Unknown event type 'order.teleported'.", "$.type"), error);
    }

    [Fact]
    public void Oversize_body_is_refused_before_parsing()
    {
        var error = ReadError(OrderCreated(), maxBytes: 100);
        Assert.Equal(EventErrorCode.PayloadTooLarge, error.Code);
        Assert.Contains("limit is 100", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Structured_cloud_event_without_id()
    {
        var error = ReadError("""{ "specversion": "1.0", "source": "s", "type": "order.created", "data": {} }""");
        Assert.Equal((EventErrorCode.MissingField, "$.id"), (error.Code, error.Path));
    }

    [Fact]
    public void Binary_mode_without_type_header()
    {
        var error = ReadError("{}", new Dictionary<string, string> { ["ce_specversion"] = "1.0", ["ce_id"] = "e-1", ["ce_source"] = "s" });
        Assert.Equal((EventErrorCode.MissingField, "headers.type"), (error.Code, error.Path));
    }

    [Fact]
    public void Unknown_enum_value_lists_the_allowed_ones()
    {
        var error = ReadError("""
            { "type": "quality.inspection.completed", "meta": { "eventId": "e-1", "source": "quality-service", "timestamp": "2025-10-19T08:00:00Z" },
              "data": { "inspectionId": "i-1", "inspectionNumber": "INS-1", "workOrderId": "wo-1", "result": "MAYBE", "quantityInspected": 10,
                        "quantityAccepted": 8, "quantityRejected": 2, "ncrGenerated": true, "inspectedBy": "qa", "inspectionDate": "2025-10-19T08:00:00Z" } }
            """);
        Assert.Equal((EventErrorCode.MistypedField, "$.data.result"), (error.Code, error.Path));
        Assert.Contains("\"PASS\", \"FAIL\"", error.Message, StringComparison.Ordinal);
    }
}
