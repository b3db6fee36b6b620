using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.FunctionApp.Inventory;
using EventProcessors.FunctionApp.Material;
using EventProcessors.FunctionApp.Monitoring;
using EventProcessors.FunctionApp.Payroll;
using EventProcessors.FunctionApp.Procurement;
using EventProcessors.FunctionApp.Projects;
using EventProcessors.FunctionApp.Quality;
using EventProcessors.FunctionApp.Traceability;
using EventProcessors.FunctionApp.WorkOrders;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using static EventProcessors.FunctionApp.Tests.FunctionHost;
using C = EventProcessors.Contracts.EventTypes.Collector;
using I = EventProcessors.Contracts.EventTypes.ManufacturingIntelligence;
using M = EventProcessors.Contracts.EventTypes.Mes;

namespace EventProcessors.FunctionApp.Tests;

/// <summary>
/// The inventory, procurement, people and MES functions invoked directly with their real actions, as the worker
/// would: a realistic trigger message in, every output property checked.
/// </summary>
public sealed class ActionFunctionTests : IDisposable
{
    private const string Product = "p-4711";
    private const string Warehouse = "wh-1";
    private readonly ServiceProvider _services = Services();
    private readonly string _tenant = NewTenant();

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task ReserveStock_DeductStock_CreatePurchaseOrder_and_ReceiveStock_run_the_stock_loop_through_their_outputs()
    {
        await DefineStockAsync(onHand: 12m, reorderLevel: 10m);

        // ReserveStock: 8 of 12 reserved, available 4 < 10: stock.reserved and stock.low to the outbox, no rows.
        var reserved = await _services.Collect(() => _services.Function<ReserveStockFunction>().RunAsync(Collector(C.OrderCreated, $$"""
            {
              "orderId": "ord-1", "orderNumber": "ORD-1", "customerId": "cust-1", "currency": "USD", "grandTotal": "36.00",
              "lineItems": [ { "productId": "{{Product}}", "description": "Bearing", "quantity": 8, "unitPrice": "4.50", "warehouseId": "{{Warehouse}}" } ]
            }
            """), Context()));
        Assert.Null(reserved.DeadLetter);
        Assert.Equal([C.StockReserved, C.StockLow], reserved.Outbox!.Select(m => Event(m).Type));
        var low = Event(reserved.Outbox![1]).DataAs<StockLow>()!;
        Assert.Equal((Product, Warehouse, 4m, 10m), (low.ProductId, low.WarehouseId, low.CurrentQuantity, low.ReorderLevel));

        // DeductStock: the dispatch turns the reservation into a deduction: one StockMovements row of -8.
        var dispatched = await _services.Collect(() => _services.Function<DeductStockFunction>().RunAsync(Collector(C.DeliveryDispatched, $$"""
            {
              "deliveryNoteId": "dn-1", "deliveryNumber": "DN-1", "orderId": "ord-1", "trackingNumber": "TRACK-1",
              "items": [ { "productId": "{{Product}}", "quantity": 8, "warehouseId": "{{Warehouse}}" } ]
            }
            """), Context()));
        Assert.Equal((null, null), (dispatched.Outbox, dispatched.DeadLetter));
        var deduction = Assert.Single(dispatched.Output.StockMovements!);
        Assert.Equal(("DISPATCH", -8m, "dn-1", _tenant), (deduction.MovementType, deduction.Quantity, deduction.DeliveryNoteId, deduction.TenantId));

        // CreatePurchaseOrder: the stock.low from the outbox raises an order for 6 (up to the reorder level).
        var raised = await _services.Collect(() => _services.Function<CreatePurchaseOrderFunction>().RunAsync(reserved.Outbox![1], Context()));
        var created = Event(Assert.Single(raised.Outbox!));
        Assert.Equal(C.PurchaseOrderCreated, created.Type);
        var order = Assert.Single(raised.Output.PurchaseOrders!);
        Assert.Equal((6m, created.DataAs<PurchaseOrderCreated>()!.PurchaseOrderNumber), (order.Quantity, order.PurchaseOrderNumber));
        Assert.Equal(created.PartitionKey, order.PurchaseOrderId);

        // ReceiveStock: the goods against the order: a receipt movement and a receipt row of the order's own.
        var received = await _services.Collect(() => _services.Function<ReceiveStockFunction>().RunAsync(Collector(C.StockReceived, $$"""
            {
              "productId": "{{Product}}", "sku": "SKU-{{Product}}", "warehouseId": "{{Warehouse}}", "quantity": 6,
              "purchaseOrderId": "{{order.PurchaseOrderId}}", "receivedAt": "2024-01-20T08:00:00.000Z"
            }
            """), Context()));
        Assert.Equal((null, null), (received.Outbox, received.DeadLetter));
        var receipt = Assert.Single(received.Output.StockMovements!);
        Assert.Equal(("RECEIPT", 6m, order.PurchaseOrderId), (receipt.MovementType, receipt.Quantity, receipt.PurchaseOrderId));
        var orderReceipt = Assert.Single(received.Output.PurchaseOrderReceipts!);
        Assert.Equal((order.PurchaseOrderId, 6m, true), (orderReceipt.PurchaseOrderId, orderReceipt.Quantity, orderReceipt.CompletesOrder));
        var level = await new StockLevels(_services.GetRequiredService<ITableServiceClient>()).GetAsync(_tenant, Product, Warehouse);
        Assert.Equal((10m, 0m), (level!.OnHand, level.Reserved));
    }

    [Fact]
    public async Task ReserveStock_dead_letters_a_product_no_warehouse_stocks_and_acknowledges_it()
    {
        var message = Collector(C.OrderCreated, """
            {
              "orderId": "ord-2", "orderNumber": "ORD-2", "customerId": "cust-1", "currency": "USD", "grandTotal": "1.00",
              "lineItems": [ { "productId": "p-unknown", "description": "?", "quantity": 1, "unitPrice": "1.00" } ]
            }
            """);

        var output = await _services.Collect(() => _services.Function<ReserveStockFunction>().RunAsync(message, Context()));

        Assert.Null(output.Outbox);
        var deadLetter = Json(output.DeadLetter!);
        Assert.Equal("InvalidValue", (string?)deadLetter["reason"]!["code"]);
        Assert.Equal("$.data.lineItems[0].productId", (string?)deadLetter["reason"]!["path"]);
        Assert.Equal(("inventory.reserve-stock", message), ((string?)deadLetter["queue"], (string?)deadLetter["originalBody"]));
    }

    [Fact]
    public async Task A_dead_lettered_order_replayed_with_x_replay_count_after_the_stock_is_defined_reserves_it()
    {
        var message = Collector(C.OrderCreated, $$"""
            {
              "orderId": "ord-3", "orderNumber": "ORD-3", "customerId": "cust-1", "currency": "USD", "grandTotal": "9.00",
              "lineItems": [ { "productId": "{{Product}}", "description": "Bearing", "quantity": 2, "unitPrice": "4.50" } ]
            }
            """);
        var dead = await _services.Collect(() => _services.Function<ReserveStockFunction>().RunAsync(message, Context()));
        await DefineStockAsync(onHand: 12m, reorderLevel: 6m);

        var redelivered = await _services.Collect(() => _services.Function<ReserveStockFunction>().RunAsync(message, Context()));
        // dead-letters replay publishes the original body again with x-replay-count; the host hands headers over base64-encoded.
        var replay = RabbitMQBindingData(messageId: null);
        replay["BasicProperties"] = JsonSerializer.Serialize(new { ContentType = "application/json", Headers = new Dictionary<string, object> { ["x-replay-count"] = 1 } });
        var replayed = await _services.Collect(() => _services.Function<ReserveStockFunction>().RunAsync(message, Context(replay)));

        Assert.NotNull(dead.DeadLetter);
        Assert.Equal((null, "InvalidValue"), (redelivered.Outbox, (string?)Json(redelivered.DeadLetter!)["reason"]!["code"]));
        Assert.Null(replayed.DeadLetter);
        var reserved = Event(Assert.Single(replayed.Outbox!));
        Assert.Equal((C.StockReserved, "ord-3"), (reserved.Type, reserved.PartitionKey));
    }

    [Fact]
    public async Task A_binary_mode_AMQP_message_reads_its_attributes_from_the_base64_cloudEvents_headers()
    {
        await DefineStockAsync(onHand: 12m, reorderLevel: 6m);
        string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
        var binary = RabbitMQBindingData(messageId: null);
        binary["BasicProperties"] = JsonSerializer.Serialize(new
        {
            ContentType = "application/json",
            Headers = new Dictionary<string, object>
            {
                ["cloudEvents_specversion"] = B64("1.0"), ["cloudEvents_id"] = B64("evt-amqp-1"), ["cloudEvents_source"] = B64("/orders-service"),
                ["cloudEvents_type"] = B64(C.OrderCreated), ["cloudEvents_tenantid"] = B64(_tenant),
            },
        });
        var data = $$"""
            {
              "orderId": "ord-4", "orderNumber": "ORD-4", "customerId": "cust-1", "currency": "USD", "grandTotal": "4.50",
              "lineItems": [ { "productId": "{{Product}}", "description": "Bearing", "quantity": 1, "unitPrice": "4.50" } ]
            }
            """;

        var output = await _services.Collect(() => _services.Function<ReserveStockFunction>().RunAsync(data, Context(binary)));

        Assert.Null(output.DeadLetter);
        var reserved = Event(Assert.Single(output.Outbox!));
        Assert.Equal(("evt-amqp-1", _tenant, "ord-4"), (reserved.CausationId, reserved.TenantId, reserved.PartitionKey));
    }

    [Fact]
    public async Task CreateResource_and_RecordBillableHours_write_their_rows_and_emit_nothing()
    {
        var hired = await _services.Collect(() => _services.Function<CreateResourceFunction>().RunAsync(Collector(C.EmployeeHired, """
            {
              "employeeId": "emp-1", "employeeNumber": "EMP-001", "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
              "position": "Process engineer", "department": "Engineering", "hireDate": "2024-02-01T00:00:00.000Z"
            }
            """), Context()));
        Assert.Equal((null, null), (hired.Outbox, hired.DeadLetter));
        var resource = Assert.Single(hired.Output.Resources!);
        Assert.Equal(("emp-1", "Ada Lovelace", "Engineering", _tenant), (resource.EmployeeId, resource.DisplayName, resource.Department, resource.TenantId));

        var completed = await _services.Collect(() => _services.Function<RecordBillableHoursFunction>().RunAsync(Collector(C.TaskCompleted, $$"""
            {
              "taskId": "task-1", "taskName": "Changeover study", "projectId": "prj-7", "projectName": "Line 2 OEE",
              "assignedResourceId": "{{resource.ResourceId}}", "estimatedHours": 8, "actualHours": 6.5, "completedAt": "2024-02-10T17:00:00.000Z"
            }
            """), Context()));
        Assert.Equal((null, null), (completed.Outbox, completed.DeadLetter));
        var hours = Assert.Single(completed.Output.BillableHours!);
        Assert.Equal((resource.ResourceId, "task-1", 6.5m, 8m), (hours.ResourceId, hours.TaskId, hours.Hours, hours.EstimatedHours));
    }

    [Fact]
    public async Task ReserveMaterial_and_UpdateInventory_book_the_work_order_material_through_Kafka_outputs_and_rows()
    {
        var reserved = await _services.Function<ReserveMaterialFunction>().RunAsync(Mes(M.WorkOrderCreated, MesEvents.WorkOrderCreated(), "evt-wo-1"), Context());
        Assert.Null(reserved.DeadLetter);
        var reservedEvent = KafkaEvent(Assert.Single(reserved.Events!), MesEvents.WorkOrderId);
        Assert.Equal(M.MaterialReserved, reservedEvent.Type);
        var line = Assert.Single(reserved.MaterialReservations!);
        Assert.Equal((MesEvents.WorkOrderId, MesEvents.PartId, 100m, 1), (line.WorkOrderId, line.PartId, line.Quantity, line.LineNumber));

        var booked = await _services.Function<UpdateInventoryFunction>().RunAsync(Mes(M.WorkOrderCompleted, MesEvents.WorkOrderCompleted(), "evt-wo-2"), Context());
        Assert.Null(booked.DeadLetter);
        Assert.Equal(M.MaterialInventoryAdjusted, KafkaEvent(Assert.Single(booked.Events!), MesEvents.PartId).Type);
        var adjustment = Assert.Single(booked.InventoryAdjustments!);
        Assert.Equal((MesEvents.PartId, 100m, "LOT-FG-001"), (adjustment.PartId, adjustment.QuantityChange, adjustment.LotNumber));
    }

    [Fact]
    public async Task CreateInspection_then_RaiseNonConformance_for_the_rejected_quantity()
    {
        var inspected = await _services.Function<CreateInspectionFunction>().RunAsync(Mes(M.WorkOrderCompleted, MesEvents.WorkOrderCompleted(), "evt-wo-3"), Context());
        Assert.Null(inspected.DeadLetter);
        Assert.Equal(M.QualityInspectionCreated, KafkaEvent(Assert.Single(inspected.Events!), MesEvents.WorkOrderId).Type);
        var inspection = Assert.Single(inspected.Inspections!);
        Assert.Equal((MesEvents.WorkOrderId, "FINAL", 100m), (inspection.WorkOrderId, inspection.InspectionType, inspection.QuantityToInspect));

        var failed = MesEvents.InspectionCompleted(inspectionId: inspection.InspectionId, inspectionNumber: inspection.InspectionNumber);
        var raised = await _services.Function<RaiseNonConformanceFunction>().RunAsync(Mes(M.QualityInspectionCompleted, failed, "evt-insp-1"), Context());
        Assert.Null(raised.DeadLetter);
        Assert.Equal(M.QualityNcrCreated, Event(Json(Assert.Single(raised.Events!))["Value"]!.GetValue<string>()).Type);
        var ncr = Assert.Single(raised.Ncrs!);
        Assert.Equal((inspection.InspectionId, 98m, 3m), (ncr.InspectionId, ncr.QuantityInspected, ncr.QuantityRejected));

        var passed = MesEvents.InspectionCompleted(result: "PASS", inspected: "98", accepted: "98", rejected: "0", inspectionId: "insp-2");
        var none = await _services.Function<RaiseNonConformanceFunction>().RunAsync(Mes(M.QualityInspectionCompleted, passed, "evt-insp-2"), Context());
        Assert.Equal((null, null, null), (none.Events, none.DeadLetter, none.Ncrs));
    }

    [Fact]
    public async Task RecordGenealogy_writes_the_traceability_event_and_lot_links_and_a_duplicate_replays_them()
    {
        var function = _services.Function<RecordGenealogyFunction>();
        var record = Mes(M.WorkOrderCompleted, MesEvents.WorkOrderCompleted(), "evt-wo-4");

        var output = await function.RunAsync(record, Context());
        var again = await _services.Function<RecordGenealogyFunction>().RunAsync(record, Context());

        Assert.Null(output.DeadLetter);
        Assert.Equal([M.TraceabilityEventCreated, M.TraceabilityLotGenealogyUpdated], output.Events!.Select(m => Event(Json(m)["Value"]!.GetValue<string>()).Type));
        Assert.Equal(("work-order.completed", MesEvents.WorkOrderId), (Assert.Single(output.TraceabilityEvents!).SourceEventType, output.TraceabilityEvents![0].WorkOrderId));
        var link = Assert.Single(output.GenealogyLinks!);
        Assert.Equal(("LOT", "LOT-RAW-001", "LOT", "LOT-FG-001"), (link.ParentType, link.ParentNumber, link.ChildType, link.ChildNumber));
        Assert.Equal(Snapshot(output), Snapshot(again));
    }

    [Fact]
    public async Task SyncPartReference_changes_state_only_and_MonitorMeasurement_flags_a_value_outside_its_limits()
    {
        var synced = await _services.Function<SyncPartReferenceFunction>().RunAsync(Mes(M.MaterialPartUpdated, MesEvents.PartUpdated(), "evt-part-1"), Context());
        Assert.Equal((null, null), (synced.Events, synced.DeadLetter));

        var outside = MesEvents.Measurement(value: "11.4", withinSpec: false);
        var flagged = await _services.Function<MonitorMeasurementFunction>().RunAsync(Intelligence(I.QualityMeasurementRecorded, outside, "mi-1"), Context());
        Assert.Null(flagged.DeadLetter);
        var failed = KafkaEvent(Assert.Single(flagged.Events!), "equip-123");
        Assert.Equal(I.QualityCheckFailed, failed.Type);
        Assert.Equal(11.4m, failed.DataAs<Contracts.Payloads.ManufacturingIntelligence.QualityCheckFailed>()!.Value);

        var inside = await _services.Function<MonitorMeasurementFunction>().RunAsync(Intelligence(I.QualityMeasurementRecorded, MesEvents.Measurement(), "mi-2"), Context());
        Assert.Equal((null, null), (inside.Events, inside.DeadLetter));
    }

    [Fact]
    public async Task ProjectEquipmentStatus_writes_each_change_and_dead_letters_a_status_change_without_equipment()
    {
        var changed = await _services.Function<ProjectEquipmentStatusFunction>().RunAsync(Intelligence(I.EquipmentStatusChanged, MesEvents.StatusChanged(), "mi-3"), Context());
        Assert.Equal((null, null), (changed.Events, changed.DeadLetter));
        var change = Assert.Single(changed.EquipmentStatusChanges!);
        Assert.Equal(("equip-123", "operational", "maintenance"), (change.EquipmentId, change.OldStatus, change.NewStatus));

        var invalid = await _services.Function<ProjectEquipmentStatusFunction>().RunAsync(
            Intelligence(I.EquipmentStatusChanged, MesEvents.StatusChanged(equipmentId: " "), "mi-4"), Context());
        Assert.Null(invalid.EquipmentStatusChanges);
        Assert.Equal("mes-events.dead-letter", (string?)Json(invalid.DeadLetter!)["Topic"]);
    }

    private Task DefineStockAsync(decimal onHand, decimal reorderLevel) =>
        new StockLevels(_services.GetRequiredService<ITableServiceClient>()).DefineAsync(_tenant, new StockItem
        {
            ProductId = Product, ProductName = "Bearing 6204", Sku = "SKU-" + Product, WarehouseId = Warehouse, WarehouseName = "Main Warehouse",
            OnHand = onHand, ReorderLevel = reorderLevel, MinimumThreshold = 5m, Primary = true,
        });

    private string Collector(string type, string data) => CollectorEvents.Envelope(type, _tenant, JsonNode.Parse(data)!);

    private KafkaRecord Mes(string type, JsonObject data, string eventId) => Record(MesEvents.MesEnvelope(type, _tenant, data, eventId));

    private KafkaRecord Intelligence(string type, JsonObject payload, string id) => Record(MesEvents.IntelligenceEnvelope(type, _tenant, payload, id));

    private static KafkaRecord Record(string value) => new()
    {
        Topic = "mes-events",
        Partition = 0,
        Offset = 42,
        Value = Encoding.UTF8.GetBytes(value),
        Timestamp = new KafkaTimestamp { UnixTimestampMs = 1760868000000, Type = KafkaTimestampType.CreateTime },
        Headers = [],
    };

    private static CloudEvent Event(string message) => JsonSerializer.Deserialize<CloudEvent>(message, ContractJson.Options)!;

    /// <summary>A follow-on in the Kafka output's JSON form, keyed by <paramref name="key"/>, as its CloudEvent.</summary>
    private static CloudEvent KafkaEvent(string message, string key)
    {
        var output = Json(message);
        Assert.Equal(("mes-events", key), ((string?)output["Topic"], (string?)output["Key"]));
        var e = Event((string)output["Value"]!);
        Assert.Equal(key, e.PartitionKey);
        return e;
    }
}
