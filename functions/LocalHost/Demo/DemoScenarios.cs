using System.Globalization;
using System.Text.Json.Nodes;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.LocalHost.Records;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Actions.WorkOrders.State;
using EventProcessors.Processing.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using C = EventProcessors.Contracts.EventTypes.Collector;
using I = EventProcessors.Contracts.EventTypes.ManufacturingIntelligence;
using M = EventProcessors.Contracts.EventTypes.Mes;

namespace EventProcessors.LocalHost.Demo;

/// <summary>What a scenario shows besides the timeline (stock levels, recall answers) and what it expected but did not see.</summary>
public sealed class DemoNotes
{
    private readonly List<string> _missing = [];

    public IReadOnlyList<string> Missing => _missing;

    public Action<string>? OnNote { get; set; }

    public void Show(string what) => OnNote?.Invoke(what);

    public void Miss(string what)
    {
        _missing.Add(what);
        OnNote?.Invoke("missing: " + what);
    }
}

/// <summary>One story the demo tells, step by step.</summary>
public sealed record DemoScenario(string Key, string Title, Func<DemoContext, DemoNotes, Task> Run);

/// <summary>
/// The seed scenarios: order to cash (offer.approved to invoice.paid), the procurement loop (stock.low to stock.received),
/// a production run (work-order.created through inspection, NCR and genealogy, with a recall query), a part update.
/// Collector's and the MES's own events (order.confirmed, delivery.dispatched, material.issued, inspection results...)
/// are published by the demo, built from the follow-ons the actions emitted, as those services would. Each scenario
/// sets up the master data no event carries (products stocked in a warehouse) and notes what it expected but did not see.
/// </summary>
public static class DemoScenarios
{
    public static IReadOnlyList<DemoScenario> All { get; } =
    [
        new("order-to-cash", "Order to cash: offer.approved → invoice.paid", OrderToCashAsync),
        new("procurement", "Procurement loop: stock.low → purchase order → stock.received", ProcurementAsync),
        new("production", "Production run: work order → material → completion → inspection → NCR → genealogy → recall", ProductionAsync),
        new("part-update", "Part update: material.part.updated refreshes the part on open work orders", PartUpdateAsync),
        new("workforce", "Workforce: employee.hired → resource → task.completed → billable hours → payroll expense", WorkforceAsync),
        new("shop-floor", "Shop floor: a measurement outside its limits, an equipment status change", ShopFloorAsync),
    ];

    public const string CustomerId = "c0ffee00-0000-4000-8000-000000000001";
    public const string WarehouseId = "wh-1";
    public const string PartId = "part-100";

    private static readonly StockItem ServoDrive = new()
    {
        ProductId = "p-4711", ProductName = "Servo drive SD-200", Sku = "SD-200", WarehouseId = WarehouseId, WarehouseName = "Main Warehouse",
        OnHand = 100, ReorderLevel = 10, MinimumThreshold = 5, Primary = true,
    };

    private static readonly StockItem Bearing = new()
    {
        ProductId = "p-0815", ProductName = "Bearing 6204", Sku = "BRG-6204", WarehouseId = WarehouseId, WarehouseName = "Main Warehouse",
        OnHand = 12, ReorderLevel = 10, MinimumThreshold = 5, Primary = true,
    };

    private static async Task OrderToCashAsync(DemoContext demo, DemoNotes notes)
    {
        var corr = demo.Correlation("o2c");
        await demo.DefineStockAsync(ServoDrive, notes);

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
                { "productId": "{{ServoDrive.ProductId}}", "description": "{{ServoDrive.ProductName}}", "quantity": "5", "unitPrice": "300.00", "discountPercent": "10", "taxPercent": "20" }
              ]
            }
            """), corr);
        await demo.SettleAsync();
        var order = demo.FollowOn<OrderCreated>(C.OrderCreated, corr);
        if (order is null) { notes.Miss("order.created from offer.approved"); return; }
        if (demo.FollowOn<StockReserved>(C.StockReserved, corr) is null) notes.Miss("stock.reserved from order.created");

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
        if (note is null) { notes.Miss("delivery.note.created from order.confirmed"); return; }

        await demo.PublishCollectorAsync(C.DeliveryDispatched, new JsonObject
        {
            ["deliveryNoteId"] = note.DeliveryNoteId,
            ["deliveryNumber"] = note.DeliveryNumber,
            ["orderId"] = order.OrderId,
            ["items"] = new JsonArray(order.LineItems.Select(l => (JsonNode)new JsonObject
            {
                ["productId"] = l.ProductId, ["quantity"] = l.Quantity, ["warehouseId"] = l.WarehouseId ?? WarehouseId,
            }).ToArray()),
            ["trackingNumber"] = "TRACK-" + demo.RunId,
        }, corr);
        await demo.SettleAsync();
        await demo.ShowStockAsync(ServoDrive, notes);

        await demo.PublishCollectorAsync(C.DeliveryConfirmed, new JsonObject
        {
            ["deliveryNoteId"] = note.DeliveryNoteId,
            ["deliveryNumber"] = note.DeliveryNumber,
            ["orderId"] = order.OrderId,
            ["customerId"] = order.CustomerId,
        }, corr);
        await demo.SettleAsync();
        var invoice = demo.FollowOn<InvoiceIssued>(C.InvoiceIssued, corr);
        if (invoice is null) { notes.Miss("invoice.issued from delivery.confirmed"); return; }
        notes.Show(string.Create(CultureInfo.InvariantCulture,
            $"invoice {invoice.InvoiceNumber}: subtotal {invoice.Subtotal:0.00} + tax {invoice.TaxTotal:0.00} = {invoice.GrandTotal:0.00} {invoice.Currency}, due {invoice.DueDate:yyyy-MM-dd}"));

        // The customer pays (Payment service).
        await demo.PublishCollectorAsync(C.InvoicePaid, new JsonObject
        {
            ["invoiceId"] = invoice.InvoiceId,
            ["invoiceNumber"] = invoice.InvoiceNumber,
            ["customerId"] = invoice.CustomerId,
            ["amount"] = invoice.GrandTotal.ToString("0.00", CultureInfo.InvariantCulture),
            ["paymentMethod"] = "STRIPE",
            ["paymentDate"] = demo.Time.GetUtcNow().ToString("O"),
            ["currency"] = invoice.Currency,
        }, corr);
        await demo.SettleAsync();

        // The same approval again (a producer retry): every consumer suppresses it, nothing runs twice.
        await demo.PublishRawAsync(Destinations.CollectorExchange, C.OfferApproved, approved, corr, "the same message again");
        // And one that can never succeed: a line with a quantity that is not a number.
        await demo.PublishCollectorAsync(C.OfferApproved, Json($$"""
            {
              "offerId": "{{Guid.NewGuid()}}", "offerNumber": "OFF-BAD-{{demo.RunId}}", "customerId": "{{CustomerId}}",
              "validUntil": "2099-02-15T10:30:00.000Z", "currency": "USD", "grandTotal": "1.00",
              "lineItems": [ { "description": "broken", "quantity": "five", "unitPrice": "1.00" } ]
            }
            """), demo.Correlation("o2c-bad"), expectDeadLetter: true);
        await demo.SettleAsync();
    }

    private static async Task ProcurementAsync(DemoContext demo, DemoNotes notes)
    {
        var corr = demo.Correlation("procure");
        await demo.DefineStockAsync(Bearing, notes);

        // An order from Collector's Orders service takes 8 of the 12 bearings: available stock falls below the reorder level.
        await demo.PublishCollectorAsync(C.OrderCreated, Json($$"""
            {
              "orderId": "{{Guid.NewGuid()}}", "orderNumber": "ORD-{{demo.RunId}}", "customerId": "{{CustomerId}}",
              "lineItems": [ { "productId": "{{Bearing.ProductId}}", "description": "{{Bearing.ProductName}}", "quantity": 8, "unitPrice": "4.50" } ],
              "currency": "USD", "grandTotal": "36.00"
            }
            """), corr);
        await demo.SettleAsync();
        if (demo.FollowOn<StockLow>(C.StockLow, corr) is null) { notes.Miss("stock.low from the reservation"); return; }
        var po = demo.FollowOn<PurchaseOrderCreated>(C.PurchaseOrderCreated, corr);
        if (po is null) { notes.Miss("purchase-order.created from stock.low"); return; }
        notes.Show(string.Create(CultureInfo.InvariantCulture, $"purchase order {po.PurchaseOrderNumber}: {po.Quantity} × {po.ProductId} (available {po.CurrentQuantity}, reorder level {po.ReorderLevel})"));

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
        var level = await demo.ShowStockAsync(Bearing, notes);
        if (level is null || level.Available < Bearing.ReorderLevel) notes.Miss($"{Bearing.ProductId} back at its reorder level after stock.received");
    }

    private static async Task ProductionAsync(DemoContext demo, DemoNotes notes)
    {
        var corr = demo.Correlation("wo");
        var workOrderId = Guid.NewGuid().ToString();
        var workOrderNumber = $"WO-{demo.RunId}";
        const string partNumber = "PN-100";
        var lot = $"LOT-RAW-{demo.RunId}";
        var producedLot = $"LOT-FG-{demo.RunId}";
        var serial = $"SN-{demo.RunId}-001";

        await demo.PublishMesAsync(M.WorkOrderCreated, new JsonObject
        {
            ["workOrderId"] = workOrderId, ["workOrderNumber"] = workOrderNumber, ["partId"] = PartId, ["partNumber"] = partNumber,
            ["quantity"] = 10, ["dueDate"] = demo.Time.GetUtcNow().AddDays(7).ToString("O"), ["priority"] = "HIGH", ["createdBy"] = "planner-1",
        }, corr);
        await demo.SettleAsync();
        if (demo.FollowOn<MaterialReserved>(M.MaterialReserved, corr) is null) notes.Miss("material.reserved from work-order.created");
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
            ["completedAt"] = demo.Time.GetUtcNow().ToString("O"), ["completedBy"] = "operator-7", ["partId"] = PartId, ["partNumber"] = partNumber,
            ["producedLotNumber"] = producedLot, ["producedSerialNumbers"] = new JsonArray(serial, $"SN-{demo.RunId}-002"),
            ["consumedLots"] = new JsonArray(new JsonObject { ["lotNumber"] = lot, ["partId"] = "raw-7", ["partNumber"] = "RM-7", ["quantity"] = 20 }),
        }, corr);
        await demo.SettleAsync();
        if (demo.FollowOn<MaterialInventoryAdjusted>(M.MaterialInventoryAdjusted, corr) is null) notes.Miss("material.inventory.adjusted from work-order.completed");
        var inspection = demo.FollowOn<QualityInspectionCreated>(M.QualityInspectionCreated, corr);
        if (inspection is null) { notes.Miss("quality.inspection.created from work-order.completed"); return; }

        // The inspector finds 3 of 10 out of tolerance (quality service).
        await demo.PublishMesAsync(M.QualityInspectionCompleted, new JsonObject
        {
            ["inspectionId"] = inspection.InspectionId, ["inspectionNumber"] = inspection.InspectionNumber,
            ["workOrderId"] = workOrderId, ["result"] = "FAIL", ["quantityInspected"] = 10, ["quantityAccepted"] = 7, ["quantityRejected"] = 3,
            ["ncrGenerated"] = false, ["inspectedBy"] = "qa-2", ["inspectionDate"] = demo.Time.GetUtcNow().ToString("O"),
            ["partId"] = PartId, ["lotNumber"] = producedLot,
        }, corr);
        await demo.SettleAsync();
        var ncr = demo.FollowOn<QualityNcrCreated>(M.QualityNcrCreated, corr);
        if (ncr is null) notes.Miss("quality.ncr.created from the failed inspection");
        else notes.Show(string.Create(CultureInfo.InvariantCulture, $"NCR {ncr.NcrNumber}: {ncr.QuantityRejected} rejected of inspection {inspection.InspectionNumber}"));
        if (demo.FollowOn<TraceabilityLotGenealogyUpdated>(M.TraceabilityLotGenealogyUpdated, corr) is null)
            notes.Miss("traceability.lot.genealogy.updated from work-order.completed");
        await DemoRecall.ShowAsync(demo, notes, lot, producedLot, serial);
    }

    private static async Task PartUpdateAsync(DemoContext demo, DemoNotes notes)
    {
        var corr = demo.Correlation("part");
        // An open work order of the part, which caches its number and name.
        var workOrderId = Guid.NewGuid().ToString();
        await demo.PublishMesAsync(M.WorkOrderCreated, new JsonObject
        {
            ["workOrderId"] = workOrderId, ["workOrderNumber"] = $"WO-{demo.RunId}-2", ["partId"] = PartId, ["partNumber"] = "PN-100",
            ["quantity"] = 4, ["dueDate"] = demo.Time.GetUtcNow().AddDays(14).ToString("O"),
            ["priority"] = "NORMAL", ["createdBy"] = "planner-1",
        }, corr);
        await demo.SettleAsync();
        var partName = $"Gear housing, machined (rev {demo.RunId})";
        await demo.PublishMesAsync(M.MaterialPartUpdated, Json($$"""
            {
              "partId": "{{PartId}}", "partNumber": "PN-100", "partName": "{{partName}}", "revision": "C",
              "changes": { "partName": "{{partName}}", "revision": "C" },
              "previousValues": { "partName": "Gear housing", "revision": "B" }
            }
            """), corr);
        await demo.SettleAsync();
        var workOrder = await new WorkOrderDocuments(demo.Tables).GetAsync(ActionContext.DefaultTenant, workOrderId, CancellationToken.None);
        if (workOrder?.Part.PartName != partName) notes.Miss($"the open work order caching '{partName}' after material.part.updated");
        else notes.Show($"open work order {workOrder.WorkOrderNumber} now caches {workOrder.Part.PartNumber} '{workOrder.Part.PartName}', revision {workOrder.Part.Revision}");
    }

    private static async Task WorkforceAsync(DemoContext demo, DemoNotes notes)
    {
        var corr = demo.Correlation("people");
        var employeeId = Guid.NewGuid().ToString();
        await demo.PublishCollectorAsync(C.EmployeeHired, Json($$"""
            {
              "employeeId": "{{employeeId}}", "employeeNumber": "EMP-{{demo.RunId}}", "firstName": "Ada", "lastName": "Lovelace",
              "email": "ada.lovelace@example.com", "position": "Process engineer", "department": "Engineering",
              "hireDate": "{{demo.Time.GetUtcNow():O}}"
            }
            """), corr);
        await demo.SettleAsync();
        var resources = await demo.Services.GetRequiredService<RecordWriter>().ReadAllAsync("Resources");
        var resourceId = resources.FirstOrDefault(r => r.GetString("EmployeeId") == employeeId)?.GetString("ResourceId");
        if (resourceId is null) { notes.Miss("the Resources row of the new employee"); return; }

        await demo.PublishCollectorAsync(C.TaskCompleted, Json($$"""
            {
              "taskId": "{{Guid.NewGuid()}}", "taskName": "Line 2 changeover study", "projectId": "prj-7", "projectName": "Line 2 OEE",
              "assignedResourceId": "{{resourceId}}", "estimatedHours": 8, "actualHours": 6.5, "completedAt": "{{demo.Time.GetUtcNow():O}}"
            }
            """), corr);
        await demo.PublishCollectorAsync(C.PayrollProcessed, Json($$"""
            {
              "payrollId": "{{Guid.NewGuid()}}", "payrollPeriod": "2026-11", "totalAmount": "48250.00", "currency": "USD",
              "employeeCount": 12, "processedAt": "{{demo.Time.GetUtcNow():O}}"
            }
            """), corr);
        await demo.SettleAsync();
    }

    private static async Task ShopFloorAsync(DemoContext demo, DemoNotes notes)
    {
        var corr = demo.Correlation("floor");
        await demo.PublishIntelligenceAsync(I.QualityMeasurementRecorded, Json($$"""
            {
              "equipmentId": "press-3", "parameter": "temperature", "value": 87.4, "timestamp": "{{demo.Time.GetUtcNow():O}}",
              "isWithinSpec": false, "lowerLimit": 60, "upperLimit": 80
            }
            """), corr);
        await demo.PublishIntelligenceAsync(I.EquipmentStatusChanged, Json("""
            { "equipmentId": "press-3", "oldStatus": "RUNNING", "newStatus": "MAINTENANCE" }
            """), corr);
        await demo.SettleAsync();
        var failed = demo.FollowOn<Contracts.Payloads.ManufacturingIntelligence.QualityCheckFailed>(I.QualityCheckFailed, corr);
        if (failed is null) notes.Miss("quality.check.failed from the measurement outside its limits");
        else notes.Show($"check failed on {failed.EquipmentId}: {failed.Reason}");
    }

    private static JsonObject Json(string json) => JsonNode.Parse(json)!.AsObject();
}
