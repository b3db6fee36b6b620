using System.Buffers;
using System.Text;
using System.Text.Json;

namespace EventProcessors.Bench.Harness;

/// <summary>The messages of the benchmark: <c>order.confirmed</c> in the Collector's envelope, and the follow-on the plain loops publish.</summary>
public static class Messages
{
    public const string InputQueue = "delivery.create-note";
    public const string CollectorExchange = "collector-events";
    public const string MesTopic = "mes-events";
    public const string MesDeadLetterTopic = "mes-events.dead-letter";
    public const string FollowOnType = "delivery.note.created";

    /// <summary>Where every contender's follow-ons end up (bound to <c>collector-events</c> by <see cref="FollowOnType"/>): the harness counts them.</summary>
    public const string FollowOnQueue = "bench.follow-ons";

    /// <summary>Order <paramref name="index"/> of run <paramref name="run"/>: a new order (and so a new event) in every run, also on a shared store.</summary>
    public static byte[] OrderConfirmed(string run, int index) => Encoding.UTF8.GetBytes($$"""
        {"type":"order.confirmed","timestamp":"2024-01-15T10:40:00.000Z","tenantId":"tenant-bench","source":"collector","correlationId":"corr-{{run}}-{{index}}",
         "data":{"orderId":"order-{{run}}-{{index}}","orderNumber":"ORD-{{index}}","customerId":"customer-1","shippingAddressId":"addr-1",
                 "lineItems":[{"productId":"product-1","description":"Product Name","quantity":5,"unit":"pcs"} ] } }
        """);

    public const string WorkOrderCreatedType = "work-order.created";
    public const string MaterialReservedType = "material.reserved";

    /// <summary>The Kafka hop's input (MES envelope), served by ReserveMaterial; a new work order in every run.</summary>
    public static byte[] WorkOrderCreated(string run, int index) => Encoding.UTF8.GetBytes($$"""
        {"type":"work-order.created","meta":{"eventId":"evt-{{run}}-{{index}}","source":"mes-service","userId":"user-1","correlationId":"corr-{{run}}-{{index}}",
         "timestamp":"2025-10-19T10:00:00.000Z","tenantId":"tenant-bench"},
         "data":{"workOrderId":"wo-{{run}}-{{index}}","workOrderNumber":"WO-{{index}}","partId":"P-1","partNumber":"P-1","quantity":100,
                 "dueDate":"2025-11-01T00:00:00.000Z","priority":"HIGH","createdBy":"planner-1"} }
        """);

    /// <summary>
    /// What the plain Kafka loop does with a record: its type, and for a <c>work-order.created</c> the follow-on (a CloudEvent with the
    /// reservation's fields); null for any other type (its own follow-ons come back on the same topic).
    /// </summary>
    public static byte[]? MaterialReserved(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (root.TryGetProperty("type", out var type) && type.ValueEquals(MaterialReservedType)) return null;
        if (!type.ValueEquals(WorkOrderCreatedType)) throw new FormatException($"unexpected type {type}");
        var data = root.GetProperty("data");
        return FollowOn(MaterialReservedType, tenant: null, writer =>
        {
            writer.WriteString("workOrderId", data.GetProperty("workOrderId").GetString());
            writer.WriteString("partId", data.GetProperty("partId").GetString());
            writer.WriteNumber("quantity", data.GetProperty("quantity").GetDecimal());
        });
    }

    /// <summary>
    /// What a plain loop does with a message: parse it, check what the action checks, and build the follow-on (a CloudEvent
    /// with the note's fields). Throws <see cref="FormatException"/> on a message it cannot use.
    /// </summary>
    public static byte[] DeliveryNoteCreated(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object) throw new FormatException("no data");
        string Required(string name) => data.TryGetProperty(name, out var value) && value.GetString() is { Length: > 0 } text ? text : throw new FormatException($"no data.{name}");
        var orderId = Required("orderId");
        if (!data.TryGetProperty("lineItems", out var lines) || lines.GetArrayLength() == 0) throw new FormatException("no data.lineItems");

        return FollowOn(FollowOnType, root.GetProperty("tenantId").GetString(), writer =>
        {
            writer.WriteString("deliveryNoteId", "note-" + orderId);
            writer.WriteString("orderId", orderId);
            writer.WriteString("orderNumber", Required("orderNumber"));
            writer.WriteString("customerId", Required("customerId"));
            writer.WriteString("shippingAddressId", Required("shippingAddressId"));
            writer.WritePropertyName("lineItems");
            lines.WriteTo(writer);
        });
    }

    /// <summary>A structured CloudEvent of <paramref name="type"/> from source <c>bench</c>, with the data <paramref name="writeData"/> writes.</summary>
    private static byte[] FollowOn(string type, string? tenant, Action<Utf8JsonWriter> writeData)
    {
        var output = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writer.WriteString("specversion", "1.0");
            writer.WriteString("id", Guid.NewGuid());
            writer.WriteString("source", "bench");
            writer.WriteString("type", type);
            writer.WriteString("time", DateTimeOffset.UtcNow);
            if (tenant is not null) writer.WriteString("tenantid", tenant);
            writer.WriteStartObject("data");
            writeData(writer);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return output.WrittenSpan.ToArray();
    }
}
