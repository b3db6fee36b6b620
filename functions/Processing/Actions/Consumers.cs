using EventProcessors.Processing.Actions.Accounting;
using EventProcessors.Processing.Actions.Crm;
using EventProcessors.Processing.Actions.Delivery;
using EventProcessors.Processing.Actions.Inventory;
using EventProcessors.Processing.Actions.Invoicing;
using EventProcessors.Processing.Actions.Material;
using EventProcessors.Processing.Actions.Monitoring;
using EventProcessors.Processing.Actions.Orders;
using EventProcessors.Processing.Actions.Payroll;
using EventProcessors.Processing.Actions.Procurement;
using EventProcessors.Processing.Actions.Projects;
using EventProcessors.Processing.Actions.Quality;
using EventProcessors.Processing.Actions.Traceability;
using EventProcessors.Processing.Pipeline;
using CollectorTypes = EventProcessors.Contracts.EventTypes.Collector;
using IntelligenceTypes = EventProcessors.Contracts.EventTypes.ManufacturingIntelligence;
using MesTypes = EventProcessors.Contracts.EventTypes.Mes;

namespace EventProcessors.Processing.Actions;

/// <summary>
/// Every consumer action of flows.md: its function name, queue or consumer group, the event types
/// it consumes and emits, and the record types (SQL tables) it writes. The one place both hosts
/// (Function App and self-hosted worker) read trigger names from.
/// </summary>
public static class Consumers
{
    // Collector: RabbitMQ, topic exchange collector-events, one quorum queue per action.
    public static readonly ConsumerDefinition CreateOrderFromOffer = Collector(nameof(CreateOrderFromOffer), "orders.create-from-offer", CollectorTypes.OfferApproved)
        with { Emits = [CollectorTypes.OrderCreated], Writes = [typeof(Order), typeof(OrderLine)] };
    public static readonly ConsumerDefinition CaptureOrder = Collector(nameof(CaptureOrder), "invoicing.capture-order", CollectorTypes.OrderCreated, CollectorTypes.OrderConfirmed);
    public static readonly ConsumerDefinition ReserveStock = Collector(nameof(ReserveStock), "inventory.reserve-stock", CollectorTypes.OrderCreated)
        with { Emits = [CollectorTypes.StockReserved, CollectorTypes.StockReservationFailed, CollectorTypes.StockLow] };
    public static readonly ConsumerDefinition ReceiveStock = Collector(nameof(ReceiveStock), "inventory.receive-stock", CollectorTypes.StockReceived)
        with { Writes = [typeof(StockMovement), typeof(PurchaseOrderReceipt)] };
    public static readonly ConsumerDefinition CreateDeliveryNote = Collector(nameof(CreateDeliveryNote), "delivery.create-note", CollectorTypes.OrderConfirmed)
        with { Emits = [CollectorTypes.DeliveryNoteCreated], Writes = [typeof(DeliveryNote), typeof(DeliveryNoteLine)] };
    public static readonly ConsumerDefinition DeductStock = Collector(nameof(DeductStock), "inventory.deduct-stock", CollectorTypes.DeliveryDispatched)
        with { Emits = [CollectorTypes.StockLow], Writes = [typeof(StockMovement)] };
    public static readonly ConsumerDefinition GenerateInvoice = Collector(nameof(GenerateInvoice), "invoicing.generate-invoice", CollectorTypes.DeliveryConfirmed)
        with { Emits = [CollectorTypes.InvoiceIssued], Writes = [typeof(Invoice), typeof(InvoiceLine)] };
    public static readonly ConsumerDefinition SyncInvoice = Collector(nameof(SyncInvoice), "accounting.sync-invoice", CollectorTypes.InvoiceIssued)
        with { Writes = [typeof(LedgerEntry)] };
    public static readonly ConsumerDefinition RecordPayment = Collector(nameof(RecordPayment), "crm.record-payment", CollectorTypes.InvoicePaid)
        with { Writes = [typeof(Payment)] };
    public static readonly ConsumerDefinition CreatePurchaseOrder = Collector(nameof(CreatePurchaseOrder), "procurement.create-purchase-order", CollectorTypes.StockLow)
        with { Emits = [CollectorTypes.PurchaseOrderCreated], Writes = [typeof(PurchaseOrder)] };
    public static readonly ConsumerDefinition RecordBillableHours = Collector(nameof(RecordBillableHours), "payroll.record-billable-hours", CollectorTypes.TaskCompleted)
        with { Writes = [typeof(BillableHours)] };
    public static readonly ConsumerDefinition CreateResource = Collector(nameof(CreateResource), "projects.create-resource", CollectorTypes.EmployeeHired)
        with { Writes = [typeof(Resource)] };
    public static readonly ConsumerDefinition RecordPayrollExpense = Collector(nameof(RecordPayrollExpense), "accounting.record-payroll-expense", CollectorTypes.PayrollProcessed)
        with { Writes = [typeof(LedgerEntry)] };

    // MES and equipment: Kafka topic mes-events (self-hosted: RabbitMQ exchange mes-events), one consumer group per action.
    public static readonly ConsumerDefinition CreateInspection = Mes(nameof(CreateInspection), "quality.create-inspection", MesTypes.WorkOrderCompleted)
        with { Emits = [MesTypes.QualityInspectionCreated], Writes = [typeof(Inspection)] };
    public static readonly ConsumerDefinition RaiseNonConformance = Mes(nameof(RaiseNonConformance), "quality.raise-ncr", MesTypes.QualityInspectionCompleted)
        with { Emits = [MesTypes.QualityNcrCreated], Writes = [typeof(Ncr)] };
    public static readonly ConsumerDefinition ReserveMaterial = Mes(nameof(ReserveMaterial), "material.reserve-material", MesTypes.WorkOrderCreated)
        with { Emits = [MesTypes.MaterialReserved], Writes = [typeof(ReservationLine)] };
    public static readonly ConsumerDefinition UpdateInventory = Mes(nameof(UpdateInventory), "material.update-inventory", MesTypes.WorkOrderCompleted)
        with { Emits = [MesTypes.MaterialInventoryAdjusted], Writes = [typeof(InventoryAdjustment)] };
    public static readonly ConsumerDefinition RecordGenealogy = Mes(nameof(RecordGenealogy), "traceability.record-genealogy",
        MesTypes.MaterialReceived, MesTypes.MaterialIssued,
        MesTypes.WorkOrderCompleted, MesTypes.QualityInspectionCompleted)
        with { Emits = [MesTypes.TraceabilityEventCreated, MesTypes.TraceabilityLotGenealogyUpdated], Writes = [typeof(TraceabilityEvent), typeof(GenealogyLink)] };
    public static readonly ConsumerDefinition SyncPartReference = Mes(nameof(SyncPartReference), "work-order.sync-part-reference", MesTypes.MaterialPartUpdated);
    public static readonly ConsumerDefinition MonitorMeasurement = Mes(nameof(MonitorMeasurement), "quality.monitor-measurement", IntelligenceTypes.QualityMeasurementRecorded)
        with { Emits = [IntelligenceTypes.QualityCheckFailed] };
    public static readonly ConsumerDefinition ProjectEquipmentStatus = Mes(nameof(ProjectEquipmentStatus), "monitoring.project-equipment-status", IntelligenceTypes.EquipmentStatusChanged)
        with { Writes = [typeof(EquipmentStatusChangeRecord)] };

    // The event store's audit consumers (issue 16): bound to every routing key ('#') of their bus, they append what they see
    // and run no action, so they are in neither All nor the actions' catalog. Self-hosted: queue or consumer group of these names.
    public static readonly ConsumerDefinition AuditCollectorEvents = new(nameof(AuditCollectorEvents), "audit.collector-events", EventBus.Collector, ["#"]);
    public static readonly ConsumerDefinition AuditMesEvents = new(nameof(AuditMesEvents), "audit.mes-events", EventBus.Mes, ["#"]);

    /// <summary>Every consumer action, in flows.md order.</summary>
    public static IReadOnlyList<ConsumerDefinition> All { get; } =
    [
        CreateOrderFromOffer, CaptureOrder, ReserveStock, ReceiveStock, CreateDeliveryNote, DeductStock, GenerateInvoice,
        SyncInvoice, RecordPayment, CreatePurchaseOrder, RecordBillableHours, CreateResource, RecordPayrollExpense,
        CreateInspection, RaiseNonConformance, ReserveMaterial, UpdateInventory, RecordGenealogy, SyncPartReference,
        MonitorMeasurement, ProjectEquipmentStatus,
    ];

    private static ConsumerDefinition Collector(string name, string queue, params string[] consumes) => new(name, queue, EventBus.Collector, consumes);

    private static ConsumerDefinition Mes(string name, string queue, params string[] consumes) => new(name, queue, EventBus.Mes, consumes);
}

/// <summary>Exchanges, topics and queues that are not one action's own.</summary>
public static class Destinations
{
    /// <summary>Collector's topic exchange; routing key = event type.</summary>
    public const string CollectorExchange = "collector-events";

    /// <summary>MES topic (Kafka) and, self-hosted, the RabbitMQ topic exchange of the same name.</summary>
    public const string MesTopic = "mes-events";

    /// <summary>Kafka topic MES dead letters are written to, with the original record and the error.</summary>
    public const string MesDeadLetterTopic = "mes-events.dead-letter";

    /// <summary>
    /// Queue the Function App's Collector functions publish their follow-ons to (with confirms, before the trigger
    /// acknowledges the input); RouteOutbox republishes from it to <see cref="CollectorExchange"/>.
    /// </summary>
    public const string CollectorOutbox = "collector-events.outbox";

    /// <summary>Exchange every action queue dead-letters to; routing key = <see cref="DeadLetterQueue"/>.</summary>
    public const string DeadLetterExchange = "event-processors.dead-letter";

    /// <summary>The audit queue bound to <see cref="DeadLetterExchange"/> for every dead-letter queue: the event store sees each dead letter.</summary>
    public const string AuditDeadLetters = "audit.dead-letters";

    /// <summary>The audit consumer group on <see cref="MesDeadLetterTopic"/> (Function App).</summary>
    public const string AuditMesDeadLetters = "audit.mes-events.dead-letter";

    /// <summary>Where a queue's poison messages end: <c>&lt;queue&gt;.dead-letter</c>.</summary>
    public static string DeadLetterQueue(string queue) => queue + ".dead-letter";

    /// <summary>
    /// Where the Function App parks a Collector message until its next attempt: <c>&lt;queue&gt;.retry</c>, no consumer,
    /// per-message TTL, dead-lettering back to <c>&lt;queue&gt;</c> through the default exchange when the TTL ends.
    /// </summary>
    public static string RetryQueue(string queue) => queue + ".retry";
}
