namespace EventProcessors.Contracts;

/// <summary>
/// Every event type the platform documents name, plus the types our consumer actions introduce
/// (marked "new"), grouped by the platform that publishes them. The strings are the CloudEvents
/// <c>type</c> and, for Collector, the RabbitMQ routing key.
/// </summary>
/// <remarks>
/// The shared-events guide (seed 004) shows <c>user.registered</c>, <c>payment.processed</c> and
/// <c>order.completed</c> only as placeholders for "my-service" of another product; no flow of ours
/// publishes or consumes them, so they are not here. Its envelope is read by <see cref="EnvelopeReader"/>.
/// </remarks>
public static class EventTypes
{
    /// <summary>Collector business suite (seed 003), RabbitMQ exchange <c>collector-events</c>.</summary>
    public static class Collector
    {
        public const string OfferApproved = "offer.approved";
        public const string OrderCreated = "order.created";
        public const string OrderConfirmed = "order.confirmed";
        public const string DeliveryDispatched = "delivery.dispatched";
        public const string DeliveryConfirmed = "delivery.confirmed";
        public const string InvoiceIssued = "invoice.issued";
        public const string InvoicePaid = "invoice.paid";
        public const string StockLow = "stock.low";
        public const string TaskCompleted = "task.completed";
        public const string EmployeeHired = "employee.hired";
        public const string PayrollProcessed = "payroll.processed";

        /// <summary>New: ReserveStock reserved every line of an order.</summary>
        public const string StockReserved = "stock.reserved";
        /// <summary>New: ReserveStock could not reserve an order (some line lacks stock).</summary>
        public const string StockReservationFailed = "stock.reservation-failed";
        /// <summary>New: goods arrived in a warehouse (closes the procurement loop).</summary>
        public const string StockReceived = "stock.received";
        /// <summary>New: CreateDeliveryNote created the note for a confirmed order.</summary>
        public const string DeliveryNoteCreated = "delivery.note.created";
        /// <summary>New: CreatePurchaseOrder raised a purchase order for low stock.</summary>
        public const string PurchaseOrderCreated = "purchase-order.created";
    }

    /// <summary>MES services (seeds 000 and 001), Kafka topic <c>mes-events</c>.</summary>
    public static class Mes
    {
        public const string WorkOrderCreated = "work-order.created";
        public const string WorkOrderUpdated = "work-order.updated";
        public const string WorkOrderStarted = "work-order.started";
        public const string WorkOrderCompleted = "work-order.completed";
        public const string WorkOrderCancelled = "work-order.cancelled";
        public const string WorkOrderStatusChanged = "work-order.status.changed";

        public const string QualityInspectionCreated = "quality.inspection.created";
        public const string QualityInspectionCompleted = "quality.inspection.completed";
        public const string QualityInspectionFailed = "quality.inspection.failed";
        public const string QualityNcrCreated = "quality.ncr.created";
        public const string QualityNcrClosed = "quality.ncr.closed";
        public const string QualityFaiApproved = "quality.fai.approved";
        public const string QualityFaiRejected = "quality.fai.rejected";

        public const string MaterialReceived = "material.received";
        public const string MaterialIssued = "material.issued";
        public const string MaterialReturned = "material.returned";
        public const string MaterialLotCreated = "material.lot.created";
        /// <summary>Seed 001 calls the constant SERIAL_CREATED; seed 000 gives the string.</summary>
        public const string MaterialSerialGenerated = "material.serial.generated";
        public const string MaterialInventoryAdjusted = "material.inventory.adjusted";
        public const string MaterialPartCreated = "material.part.created";
        public const string MaterialPartUpdated = "material.part.updated";
        public const string MaterialPartDeleted = "material.part.deleted";
        /// <summary>New: ReserveMaterial reserved a work order's material.</summary>
        public const string MaterialReserved = "material.reserved";

        public const string TraceabilityEventCreated = "traceability.event.created";
        public const string TraceabilityLotGenealogyUpdated = "traceability.lot.genealogy.updated";
        public const string TraceabilitySerialGenealogyUpdated = "traceability.serial.genealogy.updated";
        public const string TraceabilityRecallInitiated = "traceability.recall.initiated";

        // Seed 001 names these only as constants (ResourceEventTypes, AuthEventTypes); the strings
        // follow the <domain>.<entity>.<action> convention of the other MES types.
        public const string ResourceWorkCenterUpdated = "resource.work-center.updated";
        public const string ResourcePersonnelUpdated = "resource.personnel.updated";
        public const string ResourceProductUpdated = "resource.product.updated";
        public const string AuthUserCreated = "auth.user.created";
        public const string AuthUserUpdated = "auth.user.updated";
        public const string AuthUserDeleted = "auth.user.deleted";
    }

    /// <summary>Manufacturing-intelligence platform (seed 002).</summary>
    public static class ManufacturingIntelligence
    {
        public const string EquipmentStatusChanged = "equipment.status.changed";
        public const string ProductionOrderStarted = "production.order.started";
        public const string QualityCheckFailed = "quality.check.failed";
        public const string MaintenanceScheduled = "maintenance.scheduled";
        public const string QualityMeasurementRecorded = "quality.measurement.recorded";
    }
}
