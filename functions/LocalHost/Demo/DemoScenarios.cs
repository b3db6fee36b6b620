using System.Text.Json.Nodes;
using EventProcessors.Contracts.Payloads.Collector;
using C = EventProcessors.Contracts.EventTypes.Collector;
using M = EventProcessors.Contracts.EventTypes.Mes;

namespace EventProcessors.LocalHost.Demo;

/// <summary>What a scenario noticed: steps it could not run in this build, follow-ons that did not appear.</summary>
public sealed class DemoNotes
{
    private readonly List<string> _skipped = [];
    private readonly List<string> _missing = [];

    public IReadOnlyList<string> Skipped => _skipped;
    public IReadOnlyList<string> Missing => _missing;

    public Action<string>? OnNote { get; set; }

    public void Skip(string what)
    {
        _skipped.Add(what);
        OnNote?.Invoke("skipped: " + what);
    }

    public void Miss(string what)
    {
        _missing.Add(what);
        OnNote?.Invoke("missing: " + what);
    }
}

/// <summary>One story the demo tells, step by step, over whatever actions this build has.</summary>
public sealed record DemoScenario(string Key, string Title, Func<DemoContext, DemoNotes, Task> Run);

/// <summary>
/// The seed scenarios: order to cash (offer.approved to invoice.paid), the procurement loop (stock.low to stock.received),
/// a production run (work-order.created through inspection, NCR and genealogy), a part update. Collector's and the MES's own
/// events (order.confirmed, delivery.dispatched, material.issued, inspection results...) are published by the demo, built
/// from the follow-ons the actions emitted, as those services would.
/// </summary>
public static class DemoScenarios
{
    public static IReadOnlyList<DemoScenario> All { get; } =
    [
        new("order-to-cash", "Order to cash: offer.approved → invoice.paid", OrderToCashAsync),
        new("procurement", "Procurement loop: stock.low → purchase order → stock.received", ProcurementAsync),
        new("production", "Production run: work order → material → completion → inspection → NCR → genealogy", ProductionAsync),
        new("part-update", "Part update: material.part.updated refreshes part references", PartUpdateAsync),
    ];

    public const string CustomerId = "c0ffee00-0000-4000-8000-000000000001";
    public const string ProductId = "p-4711";
    public const string WarehouseId = "wh-1";

    private static async Task OrderToCashAsync(DemoContext demo, DemoNotes notes)
    {
        var corr = demo.Correlation("o2c");
        if (!demo.Has("CreateOrderFromOffer")) { notes.Skip("order to cash (CreateOrderFromOffer is not in this build)"); return; }

        var offerId = Guid.NewGuid().ToString();
        var approved = await demo.PublishCollectorAsync(C.OfferApproved, Json($$"""
            {
              "offerId": "{{offerId}}",
              "offerNumber": "OFF-2024-{{demo.RunId}}",
              "customerId": "{{CustomerId}}",
              "validUntil": "2099-02-15T10:30:00.000Z",
              "currency": "USD",
              "grandTotal": "1620.00",
              "lineItems": [
                { "productId": "{{ProductId}}", "description": "Servo drive SD-200", "quantity": "5", "unitPrice": "300.00", "discountPercent": "10", "taxPercent": "20" }
              ]
            }
            """), corr);
        await demo.SettleAsync();
        var order = demo.FollowOn<OrderCreated>(C.OrderCreated, corr);
        if (order is null) { notes.Miss("order.created from offer.approved"); return; }

        // Collector confirms the order (Orders service), then ships and delivers it (Delivery Notes service).
        await demo.PublishCollectorAsync(C.OrderConfirmed, new JsonObject
        {
            ["orderId"] = order.OrderId,
            ["orderNumber"] = order.OrderNumber,
            ["customerId"] = order.CustomerId,
            ["shippingAddressId"] = "addr-1",
            ["lineItems"] = new JsonArray(order.LineItems.Select(l => (JsonNode)new JsonObject
            {
                ["productId"] = l.ProductId, ["description"] = l.Description, ["quantity"] = l.Quantity, ["unit"] = "pcs",
            }).ToArray()),
        }, corr);
        await demo.SettleAsync();
        var note = demo.FollowOn<DeliveryNoteCreated>(C.DeliveryNoteCreated, corr);
        var deliveryNoteId = note?.DeliveryNoteId ?? Guid.NewGuid().ToString();
        var deliveryNumber = note?.DeliveryNumber ?? $"DN-{demo.RunId}";
        if (note is null) notes.Miss(demo.Has("CreateDeliveryNote") ? "delivery.note.created from order.confirmed" : "delivery note (CreateDeliveryNote is not in this build)");

        await demo.PublishCollectorAsync(C.DeliveryDispatched, new JsonObject
        {
            ["deliveryNoteId"] = deliveryNoteId,
            ["deliveryNumber"] = deliveryNumber,
            ["orderId"] = order.OrderId,
            ["items"] = new JsonArray(order.LineItems.Select(l => (JsonNode)new JsonObject
            {
                ["productId"] = l.ProductId, ["quantity"] = l.Quantity, ["warehouseId"] = l.WarehouseId ?? WarehouseId,
            }).ToArray()),
            ["trackingNumber"] = "TRACK-" + demo.RunId,
        }, corr);
        await demo.SettleAsync();

        await demo.PublishCollectorAsync(C.DeliveryConfirmed, new JsonObject
        {
            ["deliveryNoteId"] = deliveryNoteId,
            ["deliveryNumber"] = deliveryNumber,
            ["orderId"] = order.OrderId,
            ["customerId"] = order.CustomerId,
        }, corr);
        await demo.SettleAsync();
        var invoice = demo.FollowOn<InvoiceIssued>(C.InvoiceIssued, corr);
        if (invoice is null)
        {
            notes.Miss(demo.Has("GenerateInvoice") ? "invoice.issued from delivery.confirmed" : "invoice (GenerateInvoice is not in this build)");
        }
        else
        {
            // The customer pays (Payment service).
            await demo.PublishCollectorAsync(C.InvoicePaid, new JsonObject
            {
                ["invoiceId"] = invoice.InvoiceId,
                ["invoiceNumber"] = invoice.InvoiceNumber,
                ["customerId"] = invoice.CustomerId,
                ["amount"] = invoice.GrandTotal.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture),
                ["paymentMethod"] = "STRIPE",
                ["paymentDate"] = demo.Time.GetUtcNow().ToString("O"),
                ["currency"] = invoice.Currency,
            }, corr);
            await demo.SettleAsync();
        }

        // The same approval again (a producer retry): every consumer suppresses it, nothing runs twice.
        await demo.PublishRawAsync(Processing.Actions.Destinations.CollectorExchange, C.OfferApproved, approved, corr, "the same message again");
        // And one that can never succeed: a line with a quantity that is not a number.
        await demo.PublishCollectorAsync(C.OfferApproved, Json($$"""
            {
              "offerId": "{{Guid.NewGuid()}}", "offerNumber": "OFF-BAD-{{demo.RunId}}", "customerId": "{{CustomerId}}",
              "validUntil": "2099-02-15T10:30:00.000Z", "currency": "USD", "grandTotal": "1.00",
              "lineItems": [ { "description": "broken", "quantity": "five", "unitPrice": "1.00" } ]
            }
            """), corr + "-bad");
        await demo.SettleAsync();
    }

    private static async Task ProcurementAsync(DemoContext demo, DemoNotes notes)
    {
        var corr = demo.Correlation("procure");
        if (!demo.Has("CreatePurchaseOrder")) { notes.Skip("procurement loop (CreatePurchaseOrder is not in this build)"); return; }
        await demo.PublishCollectorAsync(C.StockLow, Json($$"""
            {
              "productId": "p-0815", "productName": "Bearing 6204", "sku": "BRG-6204",
              "warehouseId": "{{WarehouseId}}", "warehouseName": "Main Warehouse",
              "currentQuantity": 5, "minimumThreshold": 10, "reorderLevel": 20
            }
            """), corr);
        await demo.SettleAsync();
        var po = demo.FollowOn<PurchaseOrderCreated>(C.PurchaseOrderCreated, corr);
        if (po is null) { notes.Miss("purchase-order.created from stock.low"); return; }
        // The goods arrive (warehouse receiving).
        await demo.PublishCollectorAsync(C.StockReceived, new JsonObject
        {
            ["productId"] = po.ProductId,
            ["sku"] = po.Sku,
            ["warehouseId"] = po.WarehouseId,
            ["quantity"] = po.Quantity,
            ["purchaseOrderId"] = po.PurchaseOrderId,
            ["receivedAt"] = demo.Time.GetUtcNow().ToString("O"),
        }, corr);
        await demo.SettleAsync();
        if (!demo.Has("ReceiveStock")) notes.Skip("stock.received on hand (ReceiveStock is not in this build)");
    }

    private static async Task ProductionAsync(DemoContext demo, DemoNotes notes)
    {
        var corr = demo.Correlation("wo");
        var mes = new[] { "ReserveMaterial", "CreateInspection", "RaiseNonConformance", "RecordGenealogy", "UpdateInventory" };
        if (!mes.Any(demo.Has)) { notes.Skip("production run (no MES action is in this build)"); return; }
        var workOrderId = Guid.NewGuid().ToString();
        var workOrderNumber = $"WO-{demo.RunId}";
        const string partId = "part-100", partNumber = "PN-100";
        var lot = $"LOT-RAW-{demo.RunId}";
        var producedLot = $"LOT-FG-{demo.RunId}";

        await demo.PublishMesAsync(M.WorkOrderCreated, new JsonObject
        {
            ["workOrderId"] = workOrderId, ["workOrderNumber"] = workOrderNumber, ["partId"] = partId, ["partNumber"] = partNumber,
            ["quantity"] = 10, ["dueDate"] = demo.Time.GetUtcNow().AddDays(7).ToString("O"), ["priority"] = "HIGH", ["createdBy"] = "planner-1",
        }, corr);
        await demo.SettleAsync();
        await demo.PublishMesAsync(M.MaterialReceived, new JsonObject
        {
            ["lotNumber"] = lot, ["partId"] = "raw-7", ["partNumber"] = "RM-7", ["quantity"] = 50, ["supplierId"] = "sup-1",
            ["receivedAt"] = demo.Time.GetUtcNow().ToString("O"), ["receivedBy"] = "receiving-1",
        }, corr);
        await demo.PublishMesAsync(M.MaterialIssued, new JsonObject
        {
            ["workOrderId"] = workOrderId, ["lotNumber"] = lot, ["partId"] = "raw-7", ["partNumber"] = "RM-7", ["quantity"] = 20,
            ["issuedAt"] = demo.Time.GetUtcNow().ToString("O"), ["issuedBy"] = "operator-7",
        }, corr);
        await demo.SettleAsync();
        await demo.PublishMesAsync(M.WorkOrderCompleted, new JsonObject
        {
            ["workOrderId"] = workOrderId, ["workOrderNumber"] = workOrderNumber, ["quantityCompleted"] = 10, ["quantityRejected"] = 0,
            ["completedAt"] = demo.Time.GetUtcNow().ToString("O"), ["completedBy"] = "operator-7", ["partId"] = partId, ["partNumber"] = partNumber,
            ["producedLotNumber"] = producedLot,
            ["consumedLots"] = new JsonArray(new JsonObject { ["lotNumber"] = lot, ["partId"] = "raw-7", ["partNumber"] = "RM-7", ["quantity"] = 20 }),
        }, corr);
        await demo.SettleAsync();
        var inspection = demo.FollowOn<Contracts.Payloads.Mes.QualityInspectionCreated>(M.QualityInspectionCreated, corr);
        if (inspection is null && demo.Has("CreateInspection")) notes.Miss("quality.inspection.created from work-order.completed");
        // The inspector finds 3 of 10 out of tolerance (quality service).
        await demo.PublishMesAsync(M.QualityInspectionCompleted, new JsonObject
        {
            ["inspectionId"] = inspection?.InspectionId ?? Guid.NewGuid().ToString(),
            ["inspectionNumber"] = inspection?.InspectionNumber ?? $"INS-{demo.RunId}",
            ["workOrderId"] = workOrderId, ["result"] = "FAIL", ["quantityInspected"] = 10, ["quantityAccepted"] = 7, ["quantityRejected"] = 3,
            ["ncrGenerated"] = false, ["inspectedBy"] = "qa-2", ["inspectionDate"] = demo.Time.GetUtcNow().ToString("O"),
            ["partId"] = partId, ["lotNumber"] = producedLot,
        }, corr);
        await demo.SettleAsync();
        if (demo.Has("RaiseNonConformance") && demo.FollowOn<Contracts.Payloads.Mes.QualityNcrCreated>(M.QualityNcrCreated, corr) is null)
            notes.Miss("quality.ncr.created from the failed inspection");
        foreach (var missing in mes.Where(a => !demo.Has(a))) notes.Skip($"{missing} (not in this build)");
        await DemoRecall.ShowAsync(demo, notes, producedLot, lot);
    }

    private static async Task PartUpdateAsync(DemoContext demo, DemoNotes notes)
    {
        var corr = demo.Correlation("part");
        if (!demo.Has("SyncPartReference")) { notes.Skip("part update (SyncPartReference is not in this build)"); return; }
        await demo.PublishMesAsync(M.MaterialPartUpdated, Json("""
            {
              "partId": "part-100", "partNumber": "PN-100", "partName": "Gear housing, machined", "revision": "C",
              "changes": { "partName": "Gear housing, machined", "revision": "C" },
              "previousValues": { "partName": "Gear housing", "revision": "B" }
            }
            """), corr);
        await demo.SettleAsync();
    }

    private static JsonObject Json(string json) => JsonNode.Parse(json)!.AsObject();
}
