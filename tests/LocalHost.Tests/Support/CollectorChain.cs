using System.Text;
using EventProcessors.Contracts.Payloads.Collector;

namespace EventProcessors.LocalHost.Tests.Support;

/// <summary>
/// The events Collector's own services send during order-to-cash, exactly in seed 003's shape (no ids, amounts as
/// strings), each answering a follow-on of ours: tenant <c>tenant-123</c>, correlation <c>corr-123</c>, product
/// <c>p-4711</c> in warehouse <c>wh-1</c>.
/// </summary>
public static class CollectorChain
{
    /// <summary>The offer the chain starts with: 5 × 300.00 USD, 10 % discount, 20 % tax. <paramref name="note"/> adds a free-text field to the payload.</summary>
    public static byte[] OfferApproved(string offerId, string? note = null) => Encoding.UTF8.GetBytes($$"""
        {
          "type": "offer.approved",
          "timestamp": "2024-01-15T10:30:00.000Z",
          "tenantId": "tenant-123",
          "source": "offers-service",
          "correlationId": "corr-123",
          "data": {
            "offerId": "{{offerId}}",
            "offerNumber": "OFF-2024-001",
            "customerId": "c0ffee00-0000-4000-8000-000000000001",
            "validUntil": "2024-02-15T10:30:00.000Z",
            "currency": "USD",
            "grandTotal": "1500.00",{{(note is null ? "" : $"\n    \"note\": \"{note}\",")}}
            "lineItems": [
              { "productId": "p-4711", "description": "Product Name", "quantity": "5", "unitPrice": "300.00", "discountPercent": "10", "taxPercent": "20" }
            ]
          }
        }
        """);

    public static byte[] OrderConfirmed(OrderCreated order) => Encoding.UTF8.GetBytes($$"""
        {
          "type": "order.confirmed",
          "timestamp": "2024-01-15T10:40:00.000Z",
          "tenantId": "tenant-123",
          "source": "orders-service",
          "correlationId": "corr-123",
          "data": {
            "orderId": "{{order.OrderId}}",
            "orderNumber": "{{order.OrderNumber}}",
            "customerId": "{{order.CustomerId}}",
            "shippingAddressId": "addr-1",
            "lineItems": [ { "productId": "p-4711", "description": "Product Name", "quantity": 5, "unit": "pcs" } ]
          }
        }
        """);

    public static byte[] DeliveryDispatched(DeliveryNoteCreated note, OrderCreated order) => Encoding.UTF8.GetBytes($$"""
        {
          "type": "delivery.dispatched",
          "timestamp": "2024-01-15T12:00:00.000Z",
          "tenantId": "tenant-123",
          "source": "delivery-service",
          "correlationId": "corr-123",
          "data": {
            "deliveryNoteId": "{{note.DeliveryNoteId}}",
            "deliveryNumber": "{{note.DeliveryNumber}}",
            "orderId": "{{order.OrderId}}",
            "items": [ { "productId": "p-4711", "quantity": 5, "warehouseId": "wh-1" } ],
            "trackingNumber": "TRACK-1"
          }
        }
        """);

    public static byte[] DeliveryConfirmed(DeliveryNoteCreated note, OrderCreated order) => Encoding.UTF8.GetBytes($$"""
        {
          "type": "delivery.confirmed",
          "timestamp": "2024-01-15T14:00:00.000Z",
          "tenantId": "tenant-123",
          "source": "delivery-service",
          "correlationId": "corr-123",
          "data": {
            "deliveryNoteId": "{{note.DeliveryNoteId}}",
            "deliveryNumber": "{{note.DeliveryNumber}}",
            "orderId": "{{order.OrderId}}",
            "customerId": "{{order.CustomerId}}",
            "proofOfDeliveryUrl": "https://pod.example/1"
          }
        }
        """);

    public static byte[] InvoicePaid(InvoiceIssued invoice) => Encoding.UTF8.GetBytes($$"""
        {
          "type": "invoice.paid",
          "timestamp": "2024-01-16T10:00:00.000Z",
          "tenantId": "tenant-123",
          "source": "payment-service",
          "correlationId": "corr-123",
          "data": {{InvoicePaidData(invoice)}}
        }
        """);

    /// <summary>
    /// The same payment as a structured CloudEvent classified confidential, with its trace context in the body and
    /// <paramref name="cardHolder"/> in the payload (which must never be logged or traced).
    /// </summary>
    public static byte[] ConfidentialInvoicePaid(InvoiceIssued invoice, string traceParent, string cardHolder) => Encoding.UTF8.GetBytes($$"""
        {
          "specversion": "1.0",
          "id": "{{Guid.NewGuid()}}",
          "type": "invoice.paid",
          "source": "payment-service",
          "time": "2024-01-16T10:00:00.000Z",
          "datacontenttype": "application/json",
          "tenantid": "tenant-123",
          "correlationid": "corr-123",
          "dataclassification": "confidential",
          "traceparent": "{{traceParent}}",
          "data": {{InvoicePaidData(invoice, cardHolder)}}
        }
        """);

    private static string InvoicePaidData(InvoiceIssued invoice, string? cardHolder = null) => $$"""
        {
            "invoiceId": "{{invoice.InvoiceId}}",
            "invoiceNumber": "{{invoice.InvoiceNumber}}",
            "customerId": "{{invoice.CustomerId}}",
            "amount": "1620.00",
            "paymentMethod": "STRIPE",{{(cardHolder is null ? "" : $"\n    \"cardHolder\": \"{cardHolder}\",")}}
            "paymentDate": "2024-01-16T10:00:00.000Z",
            "currency": "USD"
          }
        """;
}
