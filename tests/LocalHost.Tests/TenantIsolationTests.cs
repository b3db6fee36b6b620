using System.Text;
using System.Text.Json;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.LocalHost.Tests.Support;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.LocalHost.Transport;
using EventProcessors.Processing.Actions;
using EventProcessors.TestSupport;
using C = EventProcessors.Contracts.EventTypes.Collector;

namespace EventProcessors.LocalHost.Tests;

/// <summary>
/// Issue 12's report, end to end as <c>serve</c> runs it (RabbitMQ in a fresh virtual host, Azurite): two tenants each
/// publish an <c>offer.approved</c> from <c>offers-service</c> with the same AMQP <c>message_id</c>.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class TenantIsolationTests(RabbitMqFixture rabbit, AzuriteFixture azurite) : ServedWorkerTest(rabbit, azurite, "tenants")
{
    [Fact]
    public async Task Two_tenants_offers_with_one_message_id_each_become_their_own_order_and_a_redelivery_publishes_nothing_of_either()
    {
        var served = await StartServedAsync();
        var (transport, timeline) = (served.Transport, served.Timeline);
        await using var tap = await ExchangeTap.StartAsync(transport);

        await PublishAsync(transport, OfferApproved("tenant-a", "OFF-2024-001"));
        await PublishAsync(transport, OfferApproved("tenant-b", "OFF-2024-777"));

        await tap.WaitForAsync(m => m.Count(x => x.RoutingKey == C.OrderCreated) == 2, Timeout, "an order.created for each tenant");
        var orders = tap.OfType(C.OrderCreated).Select(m => JsonSerializer.Deserialize<CloudEvent>(m.Body, ContractJson.Options)!).ToArray();
        Assert.Equal(["tenant-a", "tenant-b"], orders.Select(o => o.TenantId).Order(StringComparer.Ordinal));
        var orderA = orders.Single(o => o.TenantId == "tenant-a");
        var orderB = orders.Single(o => o.TenantId == "tenant-b");
        Assert.Equal("ORD-2024-001", orderA.DataAs<OrderCreated>()!.OrderNumber);
        Assert.Equal("ORD-2024-777", orderB.DataAs<OrderCreated>()!.OrderNumber);
        Assert.NotEqual(orderA.Id, orderB.Id);

        // A redelivery of tenant a's offer is a duplicate of tenant a's event only. Its outcome was published and marked, so
        // it publishes nothing at all (duplicates stop at the first hop), and above all not tenant b's order.
        await PublishAsync(transport, OfferApproved("tenant-a", "OFF-2024-001"));
        await timeline.WaitForAsync(t => t.Any(e => e.Actor == "CreateOrderFromOffer" && e.Kind == TimelineKind.Duplicate), Timeout, "the redelivery");
        var duplicate = Assert.Single(timeline.Entries, e => e.Actor == "CreateOrderFromOffer" && e.Kind == TimelineKind.Duplicate);
        Assert.Equal(("corr-tenant-a", "outcome already published"), (duplicate.CorrelationId, duplicate.Detail));
        Assert.Equal(2, tap.OfType(C.OrderCreated).Count);
        Assert.Equal(2, timeline.Entries.Count(e => e.Actor == "CreateOrderFromOffer" && e.Kind == TimelineKind.Completed));
        // (ReserveStock may dead-letter the orders: no tenant here has stocked p-4711, and this test is not about stock.)
        Assert.Empty(timeline.OfKind(TimelineKind.DeadLettered).Where(e => e.Actor == "CreateOrderFromOffer").Select(e => $"{e.EventType}: {e.Detail}"));
    }

    private static string OfferApproved(string tenant, string offerNumber) => $$"""
        {
          "type": "offer.approved",
          "timestamp": "2024-01-15T10:30:00.000Z",
          "tenantId": "{{tenant}}",
          "source": "offers-service",
          "correlationId": "corr-{{tenant}}",
          "data": {
            "offerId": "5e1f0000-0000-4000-8000-000000000001",
            "offerNumber": "{{offerNumber}}",
            "customerId": "c0ffee00-0000-4000-8000-000000000001",
            "validUntil": "2024-02-15T10:30:00.000Z",
            "currency": "USD",
            "grandTotal": "1500.00",
            "lineItems": [
              { "productId": "p-4711", "description": "Product Name", "quantity": "5", "unitPrice": "300.00", "discountPercent": "10", "taxPercent": "20" }
            ]
          }
        }
        """;

    // Collector sets the same AMQP message_id for both: ids are unique per source, and the source is shared.
    private static Task PublishAsync(IMessageTransport transport, string body) =>
        transport.PublishAsync(Destinations.CollectorExchange, C.OfferApproved,
            new OutboundMessage(Encoding.UTF8.GetBytes(body), "application/json", "offer-approved-0001"), CancellationToken.None);
}
