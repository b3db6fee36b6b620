using System.Text;
using System.Text.Json;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.LocalHost.Hosting;
using EventProcessors.LocalHost.Records;
using EventProcessors.LocalHost.Tests.Support;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Worker;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Hosting;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using C = EventProcessors.Contracts.EventTypes.Collector;

namespace EventProcessors.LocalHost.Tests;

/// <summary>
/// The whole worker as <c>serve</c> builds it (every action, RabbitMQ, Azurite), fed Collector events exactly as seed 003
/// shows them (no ids) on <c>collector-events</c>; the chain is observed on the exchange itself.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class CollectorChainTests(RabbitMqFixture rabbit, AzuriteFixture azurite) : ServedWorkerTest(rabbit, azurite, "chain")
{
    [Fact]
    public async Task Seed_events_published_to_collector_events_run_offer_to_payment_and_every_hop_is_on_the_exchange()
    {
        var served = await StartServedAsync(new Dictionary<string, string?> { ["LocalHost:RetryBaseDelay"] = "00:00:00.050" });
        var (transport, timeline, services) = (served.Transport, served.Timeline, served.Services);
        await using var tap = await ExchangeTap.StartAsync(transport);
        var offerId = Guid.NewGuid().ToString();
        // No event defines products: the warehouse's stock is master data, set up before orders arrive.
        var stock = new StockLevels(services.GetRequiredService<ITableServiceClient>());
        await stock.DefineAsync("tenant-123", new StockItem
        {
            ProductId = "p-4711", ProductName = "Product Name", Sku = "SKU-4711", WarehouseId = "wh-1", WarehouseName = "Main",
            OnHand = 100, ReorderLevel = 10, Primary = true,
        });

        // 1. offer.approved, exactly the seed's shape and values (uuids filled in), published three times.
        var approved = CollectorChain.OfferApproved(offerId);
        for (var i = 0; i < 3; i++) await PublishAsync(transport, C.OfferApproved, approved);
        var order = await FollowOnAsync<OrderCreated>(tap, C.OrderCreated);
        await timeline.WaitForAsync(t => t.Count(e => e.Actor == "CreateOrderFromOffer" && e.Kind is TimelineKind.Completed or TimelineKind.Duplicate) == 3,
            Timeout, "all three copies of offer.approved");

        // 2. Collector confirms the order.
        await PublishAsync(transport, C.OrderConfirmed, CollectorChain.OrderConfirmed(order));
        var note = await FollowOnAsync<DeliveryNoteCreated>(tap, C.DeliveryNoteCreated);
        var reserved = await FollowOnAsync<StockReserved>(tap, C.StockReserved);
        Assert.Equal(order.OrderId, reserved.OrderId);

        // 3. The goods leave the warehouse, then arrive.
        await PublishAsync(transport, C.DeliveryDispatched, CollectorChain.DeliveryDispatched(note, order));
        await timeline.WaitForAsync(t => t.Any(e => e.Actor == "DeductStock" && e.Kind == TimelineKind.Completed), Timeout, "DeductStock");

        await PublishAsync(transport, C.DeliveryConfirmed, CollectorChain.DeliveryConfirmed(note, order));
        var invoice = await FollowOnAsync<InvoiceIssued>(tap, C.InvoiceIssued);
        Assert.Equal((1350.00m, 270.00m, 1620.00m), (invoice.Subtotal, invoice.TaxTotal, invoice.GrandTotal));

        // 4. The customer pays.
        await PublishAsync(transport, C.InvoicePaid, CollectorChain.InvoicePaid(invoice));
        await timeline.WaitForAsync(t => t.Any(e => e.Actor == "RecordPayment" && e.Kind == TimelineKind.Completed), Timeout, "RecordPayment");
        await timeline.WaitForAsync(t => t.Any(e => e.Actor == "SyncInvoice" && e.Kind == TimelineKind.Completed), Timeout, "SyncInvoice");

        // Every follow-on on the exchange: routing key = type, message_id = id, structured CloudEvents, one correlation.
        // One message three times: one effect, one set of follow-ons (the duplicates republish the same ids).
        Assert.Single(timeline.Entries, e => e.Actor == "CreateOrderFromOffer" && e.Kind == TimelineKind.Completed);
        Assert.Equal(2, timeline.Entries.Count(e => e.Actor == "CreateOrderFromOffer" && e.Kind == TimelineKind.Duplicate));
        var followOns = tap.Messages.Where(m => m.ContentType == CloudEvent.JsonContentType).DistinctBy(m => m.MessageId).ToArray();
        Assert.Equal([C.DeliveryNoteCreated, C.InvoiceIssued, C.OrderCreated, C.StockReserved], followOns.Select(m => m.RoutingKey).Order(StringComparer.Ordinal));
        Assert.Single(timeline.Entries, e => e.Actor == "CaptureOrder" && e.EventType == C.OrderCreated && e.Kind == TimelineKind.Completed);
        foreach (var message in followOns)
        {
            var e = JsonSerializer.Deserialize<CloudEvent>(message.Body, ContractJson.Options)!;
            Assert.Equal((message.RoutingKey, message.MessageId, "corr-123", "tenant-123"), (e.Type, e.Id, e.CorrelationId, e.TenantId));
        }
        // The records went to Table Storage tables named after their SQL tables.
        var records = services.GetRequiredService<RecordWriter>();
        Assert.Single(await records.ReadAllAsync("Orders"));
        Assert.Single(await records.ReadAllAsync("Invoices"));
        Assert.Equal(3, (await records.ReadAllAsync("LedgerEntries")).Count);
        var movement = Assert.Single(await records.ReadAllAsync("StockMovements"));
        Assert.Equal(("DISPATCH", -5m), (movement.GetString("MovementType"), decimal.Parse(movement.GetString("Quantity")!, System.Globalization.CultureInfo.InvariantCulture)));
        var level = await stock.GetAsync("tenant-123", "p-4711", "wh-1");
        Assert.Equal((95m, 95m), (level!.OnHand, level.Available));
        var payment = Assert.Single(await records.ReadAllAsync("Payments"));
        Assert.Equal("1620.00", payment.GetString("Amount"));
        Assert.Empty(timeline.OfKind(TimelineKind.DeadLettered));
    }

    private static Task PublishAsync(IMessageTransport transport, string type, byte[] body) =>
        transport.PublishAsync(Destinations.CollectorExchange, type, new OutboundMessage(body, "application/json"), CancellationToken.None);

    private static async Task<T> FollowOnAsync<T>(ExchangeTap tap, string type)
    {
        await tap.WaitForAsync(m => m.Any(x => x.RoutingKey == type), Timeout, type + " on the exchange");
        var e = JsonSerializer.Deserialize<CloudEvent>(tap.OfType(type)[0].Body, ContractJson.Options)!;
        return e.DataAs<T>()!;
    }
}
