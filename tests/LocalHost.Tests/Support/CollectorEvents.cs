using System.Text;

namespace EventProcessors.LocalHost.Tests.Support;

/// <summary>Collector events exactly as seed 003 shows them: no id, numbers sometimes as strings.</summary>
public static class CollectorEvents
{
    public static byte[] OrderCreated(string orderNumber, string orderId, string correlationId = "corr-123", string tenant = "tenant-123") => Encoding.UTF8.GetBytes($$"""
        {
          "type": "order.created",
          "timestamp": "2024-01-15T10:35:00.000Z",
          "tenantId": "{{tenant}}",
          "source": "orders-service",
          "correlationId": "{{correlationId}}",
          "data": {
            "orderId": "{{orderId}}",
            "orderNumber": "{{orderNumber}}",
            "customerId": "c0ffee00-0000-4000-8000-000000000001",
            "lineItems": [
              { "productId": "p-1", "sku": "SKU-123", "description": "Product Name", "quantity": 5, "unitPrice": "300.00", "warehouseId": "wh-1" }
            ],
            "currency": "USD",
            "grandTotal": "1500.00"
          }
        }
        """);

    /// <summary>An order.created whose payload breaks the contract: a negative quantity given as text that is no number.</summary>
    public static byte[] InvalidOrderCreated() => Encoding.UTF8.GetBytes("""
        {
          "type": "order.created",
          "timestamp": "2024-01-15T10:35:00.000Z",
          "tenantId": "tenant-123",
          "source": "orders-service",
          "data": {
            "orderId": "bad-1",
            "orderNumber": "ORD-BAD",
            "customerId": "c0ffee00-0000-4000-8000-000000000001",
            "lineItems": [ { "productId": "p-1", "description": "x", "quantity": "lots", "unitPrice": "300.00" } ],
            "currency": "USD",
            "grandTotal": "1500.00"
          }
        }
        """);

    public static byte[] UnknownType() => Encoding.UTF8.GetBytes("""
        {
          "type": "order.teleported",
          "timestamp": "2024-01-15T10:35:00.000Z",
          "tenantId": "tenant-123",
          "source": "orders-service",
          "data": { "orderId": "x-1" }
        }
        """);

    public static byte[] UnreadableJson() => Encoding.UTF8.GetBytes("{ \"type\": \"order.created\", \"data\": { oops");
}
