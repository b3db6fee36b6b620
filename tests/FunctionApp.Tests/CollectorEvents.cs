using System.Text.Json.Nodes;

namespace EventProcessors.FunctionApp.Tests;

/// <summary>Collector messages as Collector publishes them (seed 003: no id, money as strings).</summary>
internal static class CollectorEvents
{
    public const string OfferId = "6f1f7a52-8b0e-4f6c-9d2e-0a1b2c3d4e01";
    public const string CustomerId = "c0ffee00-0000-4000-8000-000000000001";
    public const string OrderId = "8d0c5a8e-3c1b-4a53-9a43-0d6a4f1f1a01";

    public static string OfferApproved(string tenant, string offerNumber = "OFF-2024-001") => Envelope("offer.approved", tenant, JsonNode.Parse($$"""
        {
          "offerId": "{{OfferId}}",
          "offerNumber": "{{offerNumber}}",
          "customerId": "{{CustomerId}}",
          "validUntil": "2024-02-15T10:30:00.000Z",
          "currency": "USD",
          "grandTotal": "1500.00",
          "lineItems": [
            { "productId": "p-4711", "description": "Product Name", "quantity": "5", "unitPrice": "300.00", "discountPercent": "10", "taxPercent": "20" },
            { "productId": "p-0815", "description": "Service", "quantity": "2", "unitPrice": "100.00", "discountPercent": "0", "taxPercent": "20" }
          ]
        }
        """)!);

    public static string DeliveryConfirmed(string tenant) => Envelope("delivery.confirmed", tenant, JsonNode.Parse($$"""
        {
          "deliveryNoteId": "d311fe00-0000-4000-8000-000000000001",
          "deliveryNumber": "DN-2024-001",
          "orderId": "{{OrderId}}",
          "customerId": "{{CustomerId}}",
          "proofOfDeliveryUrl": "https://pod.example/dn-2024-001"
        }
        """)!);

    /// <summary>Seed 003's invoice.issued: the invoice <see cref="InvoicePaid"/> pays, 1500.00.</summary>
    public static string InvoiceIssued(string tenant) => Envelope("invoice.issued", tenant, JsonNode.Parse($$"""
        {
          "invoiceId": "1a2b3c4d-0000-4000-8000-000000000001", "invoiceNumber": "INV-2024-001", "customerId": "{{CustomerId}}",
          "currency": "USD", "subtotal": "1250.00", "taxTotal": "250.00", "grandTotal": "1500.00", "dueDate": "2024-02-15T14:30:00.000Z",
          "lineItems": [ { "description": "Product Name", "quantity": "5", "unitPrice": "250.00", "total": "1250.00" } ]
        }
        """)!);

    public static string InvoicePaid(string tenant) => Envelope("invoice.paid", tenant, JsonNode.Parse($$"""
        {
          "invoiceId": "1a2b3c4d-0000-4000-8000-000000000001",
          "invoiceNumber": "INV-2024-001",
          "customerId": "{{CustomerId}}",
          "amount": "1500.00",
          "paymentMethod": "STRIPE",
          "paymentDate": "2024-01-16T10:00:00.000Z",
          "currency": "USD"
        }
        """)!);

    /// <summary>The Collector envelope: type, timestamp, tenantId, source, correlationId, data; no id.</summary>
    public static string Envelope(string type, string tenant, JsonNode data, string timestamp = "2024-01-15T10:30:00.000Z") => new JsonObject
    {
        ["type"] = type,
        ["timestamp"] = timestamp,
        ["tenantId"] = tenant,
        ["source"] = "collector",
        ["correlationId"] = "corr-123",
        ["data"] = data,
    }.ToJsonString();
}
