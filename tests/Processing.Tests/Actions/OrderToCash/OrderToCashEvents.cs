using System.Text.Json;
using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Pipeline;

namespace EventProcessors.Processing.Tests.Actions.OrderToCash;

/// <summary>
/// Collector events of the order-to-cash flow as Collector sends them (seed 003: no id, money as strings),
/// with the seed's values. Tests change a field through the returned JSON before wrapping it.
/// </summary>
internal static class OrderToCashEvents
{
    public const string OfferId = "6f1f7a52-8b0e-4f6c-9d2e-0a1b2c3d4e01";
    public const string CustomerId = "c0ffee00-0000-4000-8000-000000000001";
    public const string OrderId = "8d0c5a8e-3c1b-4a53-9a43-0d6a4f1f1a01";
    public const string ProductId = "p-4711";
    public const string DeliveryNoteId = "d311fe00-0000-4000-8000-000000000001";

    public static JsonObject OfferApproved() => Parse($$"""
        {
          "offerId": "{{OfferId}}",
          "offerNumber": "OFF-2024-001",
          "customerId": "{{CustomerId}}",
          "validUntil": "2024-02-15T10:30:00.000Z",
          "currency": "USD",
          "grandTotal": "1500.00",
          "lineItems": [
            { "productId": "{{ProductId}}", "description": "Product Name", "quantity": "5", "unitPrice": "300.00", "discountPercent": "10", "taxPercent": "20" }
          ]
        }
        """);

    public static JsonObject OrderCreated() => Parse($$"""
        {
          "orderId": "{{OrderId}}",
          "orderNumber": "ORD-2024-001",
          "customerId": "{{CustomerId}}",
          "offerId": "{{OfferId}}",
          "lineItems": [
            { "productId": "{{ProductId}}", "sku": "SKU-123", "description": "Product Name", "quantity": 5, "unitPrice": "300.00", "warehouseId": "wh-1", "discountPercent": "10", "taxPercent": "20" }
          ],
          "currency": "USD",
          "grandTotal": "1620.00"
        }
        """);

    public static JsonObject OrderConfirmed(string orderId = OrderId) => Parse($$"""
        {
          "orderId": "{{orderId}}",
          "orderNumber": "ORD-2024-001",
          "customerId": "{{CustomerId}}",
          "shippingAddressId": "addr-1",
          "lineItems": [
            { "productId": "{{ProductId}}", "description": "Product Name", "quantity": 5, "unit": "pcs" }
          ]
        }
        """);

    public static JsonObject DeliveryConfirmed(string orderId = OrderId, string deliveryNoteId = DeliveryNoteId, string deliveryNumber = "DN-2024-001") => Parse($$"""
        {
          "deliveryNoteId": "{{deliveryNoteId}}",
          "deliveryNumber": "{{deliveryNumber}}",
          "orderId": "{{orderId}}",
          "customerId": "{{CustomerId}}",
          "proofOfDeliveryUrl": "https://pod.example/dn-2024-001"
        }
        """);

    public static JsonObject InvoiceIssued() => Parse($$"""
        {
          "invoiceId": "1a2b3c4d-0000-4000-8000-000000000001",
          "invoiceNumber": "INV-2024-001",
          "customerId": "{{CustomerId}}",
          "orderId": "{{OrderId}}",
          "deliveryNoteId": "{{DeliveryNoteId}}",
          "currency": "USD",
          "subtotal": "1250.00",
          "taxTotal": "250.00",
          "grandTotal": "1500.00",
          "dueDate": "2024-02-15T14:30:00.000Z",
          "lineItems": [
            { "description": "Product Name", "quantity": "5", "unitPrice": "250.00", "total": "1250.00" }
          ]
        }
        """);

    public static JsonObject InvoicePaid(string invoiceId = "1a2b3c4d-0000-4000-8000-000000000001", string amount = "1500.00", string currency = "USD",
        string paymentDate = "2024-01-16T10:00:00.000Z") => Parse($$"""
        {
          "invoiceId": "{{invoiceId}}",
          "invoiceNumber": "INV-2024-001",
          "customerId": "{{CustomerId}}",
          "amount": "{{amount}}",
          "paymentMethod": "STRIPE",
          "paymentDate": "{{paymentDate}}",
          "currency": "{{currency}}"
        }
        """);

    public static JsonObject PayrollProcessed() => Parse("""
        {
          "payrollId": "9e8d7c6b-0000-4000-8000-000000000001",
          "payrollPeriod": "2024-01",
          "totalAmount": "50000.00",
          "currency": "USD",
          "employeeCount": 25,
          "processedAt": "2024-01-31T18:00:00.000Z"
        }
        """);

    /// <summary>The Collector envelope: type, timestamp, tenantId, source, correlationId, data; no id.</summary>
    public static string Envelope(string type, string tenant, JsonNode data, string timestamp = "2024-01-15T10:30:00.000Z", string source = "collector") =>
        new JsonObject
        {
            ["type"] = type,
            ["timestamp"] = timestamp,
            ["tenantId"] = tenant,
            ["source"] = source,
            ["correlationId"] = "corr-123",
            ["data"] = data.DeepClone(),
        }.ToJsonString();

    /// <summary>A follow-on event as the outbox publishes it: CloudEvents structured JSON.</summary>
    public static string AsMessage(CloudEvent e) => JsonSerializer.Serialize(e, ContractJson.Options);

    public static T[] Rows<T>(this ProcessingResult result) where T : notnull =>
        result.Outcome.Records.Where(r => r.Table == SqlTableAttribute.NameOf(typeof(T))).Select(r => r.As<T>()).ToArray();

    public static T Payload<T>(this CloudEvent e) => e.DataAs<T>() ?? throw new InvalidOperationException($"{e.Type} has no data.");

    /// <summary>The outcome as text, to compare two runs exactly (ids, payloads, rows).</summary>
    public static string Snapshot(this ProcessingResult result) => string.Join('\n',
        result.Outcome.Events.Select(e => $"{e.Id} {e.Type} {e.PartitionKey} {(e.Data is { } data ? Canonical(data) : "")}")
            .Concat(result.Outcome.Records.Select(r => $"{r.Table} {Canonical(r.Row)}")));

    /// <summary>JSON with strings unescaped: a replayed outcome may escape characters ('+') differently.</summary>
    private static string Canonical(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "{" + string.Join(",", element.EnumerateObject().Select(p => $"{p.Name}:{Canonical(p.Value)}")) + "}",
        JsonValueKind.Array => "[" + string.Join(",", element.EnumerateArray().Select(Canonical)) + "]",
        JsonValueKind.String => "'" + element.GetString() + "'",
        _ => element.GetRawText(),
    };

    public static string NewTenant() => "t-" + Guid.NewGuid().ToString("N")[..16];

    /// <summary>A pipeline over <paramref name="tables"/> with its own idempotency table: a fresh worker that never saw an event.</summary>
    public static PipelineHarness Harness(ITableServiceClient tables) => new(tables);

    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();
}
