using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Contracts.Payloads.ManufacturingIntelligence;
using EventProcessors.Contracts.Payloads.Mes;
using static EventProcessors.Contracts.EventTypes;

namespace EventProcessors.Contracts;

/// <summary>A payload read and checked against its record.</summary>
/// <param name="Definition">The catalog entry of the event's type.</param>
/// <param name="Value">The payload record (of <see cref="EventDefinition.PayloadType"/>).</param>
public sealed record EventPayload(EventDefinition Definition, object Value)
{
    /// <summary>The id of the entity the event is about: its natural partition key.</summary>
    public string EntityId => Definition.EntityIdOf(Value);
}

/// <summary>Every event type the platform knows: its payload record, origin, classification and key.</summary>
public static class EventCatalog
{
    private static readonly FrozenDictionary<string, EventDefinition> Definitions = Build()
        .ToFrozenDictionary(d => d.Type, StringComparer.Ordinal);

    public static IEnumerable<EventDefinition> All => Definitions.Values;

    public static bool TryGet(string type, [NotNullWhen(true)] out EventDefinition? definition) =>
        Definitions.TryGetValue(type, out definition);

    /// <summary>
    /// Reads the event's <c>data</c> into the record of its type, reporting the first problem
    /// exactly: unknown type, a missing or null required field, or a field of the wrong JSON kind or
    /// an unparseable value, each with its JSON path (for example <c>$.data.lineItems[0].quantity</c>).
    /// </summary>
    public static ReadResult<EventPayload> ReadPayload(CloudEvent cloudEvent)
    {
        if (!Definitions.TryGetValue(cloudEvent.Type, out var definition))
            return ReadResult<EventPayload>.Failure(new(EventErrorCode.UnknownType,
                $"Event type '{cloudEvent.Type}' is not in the catalog.", "$.type"));

        if (cloudEvent.Data is not { ValueKind: not JsonValueKind.Null } data)
            return ReadResult<EventPayload>.Failure(new(EventErrorCode.MissingField,
                $"Event type '{cloudEvent.Type}' requires data, but the event has none.", "$.data"));

        var typeInfo = ContractJson.Options.GetTypeInfo(definition.PayloadType);
        if (PayloadValidator.Validate(data, typeInfo, "$.data") is { } error)
            return ReadResult<EventPayload>.Failure(error);

        try
        {
            return ReadResult<EventPayload>.Success(new(definition, data.Deserialize(typeInfo)!));
        }
        catch (JsonException ex)
        {
            // The validator walks the serializer's own contract, so this is only a safety net.
            return ReadResult<EventPayload>.Failure(new(EventErrorCode.MistypedField, ex.Message,
                ex.Path is null ? "$.data" : "$.data" + ex.Path.TrimStart('$')));
        }
    }

    /// <summary>
    /// Reads the payload as <typeparamref name="T"/>. The caller filters by type first, so asking for
    /// a record that is not the type's payload is a programming error and throws.
    /// </summary>
    public static ReadResult<T> ReadPayload<T>(CloudEvent cloudEvent) where T : class
    {
        if (Definitions.TryGetValue(cloudEvent.Type, out var definition) && definition.PayloadType != typeof(T))
            throw new ArgumentException(
                $"Event type '{cloudEvent.Type}' carries {definition.PayloadType.Name}, not {typeof(T).Name}.",
                nameof(cloudEvent));
        var result = ReadPayload(cloudEvent);
        return result.IsSuccess
            ? ReadResult<T>.Success((T)result.Value.Value)
            : ReadResult<T>.Failure(result.Error);
    }

    /// <summary>
    /// The classification that governs logging and storage: the stricter of what the event states and
    /// the catalog default, so a producer can raise but never lower it. Unknown types count as
    /// confidential, because nothing is known about what they carry.
    /// </summary>
    public static DataClassification ClassificationOf(CloudEvent cloudEvent)
    {
        var catalogDefault = Definitions.TryGetValue(cloudEvent.Type, out var definition)
            ? definition.Classification
            : DataClassification.Confidential;
        return cloudEvent.DataClassification is { } stated && stated > catalogDefault ? stated : catalogDefault;
    }

    private static EventDefinition Define<T>(string type, EventOrigin origin, string boundedContext,
        Func<T, string> entityId, DataClassification classification = DataClassification.Internal) where T : class =>
        new(type, typeof(T), origin, boundedContext, classification, payload => entityId((T)payload));

    private static IEnumerable<EventDefinition> Build()
    {
        const EventOrigin c = EventOrigin.Collector, m = EventOrigin.Mes, mi = EventOrigin.ManufacturingIntelligence;
        // Personal data (names, e-mail), payments and payroll are confidential: never logged.
        const DataClassification confidential = DataClassification.Confidential;

        return
        [
            Define<OfferApproved>(Collector.OfferApproved, c, "offers", p => p.OfferId),
            Define<OrderCreated>(Collector.OrderCreated, c, "orders", p => p.OrderId),
            Define<OrderConfirmed>(Collector.OrderConfirmed, c, "orders", p => p.OrderId),
            Define<DeliveryDispatched>(Collector.DeliveryDispatched, c, "delivery", p => p.DeliveryNoteId),
            Define<DeliveryConfirmed>(Collector.DeliveryConfirmed, c, "delivery", p => p.DeliveryNoteId),
            Define<DeliveryNoteCreated>(Collector.DeliveryNoteCreated, c, "delivery", p => p.DeliveryNoteId),
            Define<InvoiceIssued>(Collector.InvoiceIssued, c, "invoicing", p => p.InvoiceId),
            Define<InvoicePaid>(Collector.InvoicePaid, c, "invoicing", p => p.InvoiceId, confidential),
            Define<StockLow>(Collector.StockLow, c, "inventory", p => p.ProductId),
            Define<StockReserved>(Collector.StockReserved, c, "inventory", p => p.OrderId),
            Define<StockReservationFailed>(Collector.StockReservationFailed, c, "inventory", p => p.OrderId),
            Define<StockReceived>(Collector.StockReceived, c, "inventory", p => p.ProductId),
            Define<PurchaseOrderCreated>(Collector.PurchaseOrderCreated, c, "procurement", p => p.PurchaseOrderId),
            Define<TaskCompleted>(Collector.TaskCompleted, c, "projects", p => p.TaskId),
            Define<EmployeeHired>(Collector.EmployeeHired, c, "hr", p => p.EmployeeId, confidential),
            Define<PayrollProcessed>(Collector.PayrollProcessed, c, "hr", p => p.PayrollId, confidential),

            Define<WorkOrderCreated>(Mes.WorkOrderCreated, m, "work-order", p => p.WorkOrderId),
            Define<WorkOrderUpdated>(Mes.WorkOrderUpdated, m, "work-order", p => p.WorkOrderId),
            Define<WorkOrderStarted>(Mes.WorkOrderStarted, m, "work-order", p => p.WorkOrderId),
            Define<WorkOrderCompleted>(Mes.WorkOrderCompleted, m, "work-order", p => p.WorkOrderId),
            Define<WorkOrderCancelled>(Mes.WorkOrderCancelled, m, "work-order", p => p.WorkOrderId),
            Define<WorkOrderStatusChanged>(Mes.WorkOrderStatusChanged, m, "work-order", p => p.WorkOrderId),

            Define<QualityInspectionCreated>(Mes.QualityInspectionCreated, m, "quality", p => p.InspectionId),
            Define<QualityInspectionCompleted>(Mes.QualityInspectionCompleted, m, "quality", p => p.InspectionId),
            Define<QualityInspectionFailed>(Mes.QualityInspectionFailed, m, "quality", p => p.InspectionId),
            Define<QualityNcrCreated>(Mes.QualityNcrCreated, m, "quality", p => p.NcrId),
            Define<QualityNcrClosed>(Mes.QualityNcrClosed, m, "quality", p => p.NcrId),
            Define<QualityFaiApproved>(Mes.QualityFaiApproved, m, "quality", p => p.FaiId),
            Define<QualityFaiRejected>(Mes.QualityFaiRejected, m, "quality", p => p.FaiId),

            // Material moves are keyed by lot so that one lot's history stays in order.
            Define<MaterialReceived>(Mes.MaterialReceived, m, "material", p => p.LotNumber),
            Define<MaterialIssued>(Mes.MaterialIssued, m, "material", p => p.LotNumber),
            Define<MaterialReturned>(Mes.MaterialReturned, m, "material", p => p.LotNumber),
            Define<MaterialLotCreated>(Mes.MaterialLotCreated, m, "material", p => p.LotNumber),
            Define<MaterialSerialGenerated>(Mes.MaterialSerialGenerated, m, "material", p => p.PartId),
            Define<MaterialInventoryAdjusted>(Mes.MaterialInventoryAdjusted, m, "material", p => p.PartId),
            Define<MaterialPartCreated>(Mes.MaterialPartCreated, m, "material", p => p.PartId),
            Define<MaterialPartUpdated>(Mes.MaterialPartUpdated, m, "material", p => p.PartId),
            Define<MaterialPartDeleted>(Mes.MaterialPartDeleted, m, "material", p => p.PartId),
            Define<MaterialReserved>(Mes.MaterialReserved, m, "material", p => p.WorkOrderId),

            Define<TraceabilityEventCreated>(Mes.TraceabilityEventCreated, m, "traceability", p => p.TraceabilityEventId),
            Define<TraceabilityLotGenealogyUpdated>(Mes.TraceabilityLotGenealogyUpdated, m, "traceability", p => p.LotNumber),
            Define<TraceabilitySerialGenealogyUpdated>(Mes.TraceabilitySerialGenealogyUpdated, m, "traceability", p => p.SerialNumber),
            Define<TraceabilityRecallInitiated>(Mes.TraceabilityRecallInitiated, m, "traceability", p => p.RecallId),

            Define<WorkCenterUpdated>(Mes.ResourceWorkCenterUpdated, m, "resource", p => p.WorkCenterId),
            Define<PersonnelUpdated>(Mes.ResourcePersonnelUpdated, m, "resource", p => p.PersonnelId, confidential),
            Define<ProductUpdated>(Mes.ResourceProductUpdated, m, "resource", p => p.ProductId),
            Define<UserCreated>(Mes.AuthUserCreated, m, "auth", p => p.UserId, confidential),
            Define<UserUpdated>(Mes.AuthUserUpdated, m, "auth", p => p.UserId, confidential),
            Define<UserDeleted>(Mes.AuthUserDeleted, m, "auth", p => p.UserId, confidential),

            Define<EquipmentStatusChanged>(ManufacturingIntelligence.EquipmentStatusChanged, mi, "equipment", p => p.EquipmentId),
            Define<ProductionOrderStarted>(ManufacturingIntelligence.ProductionOrderStarted, mi, "production", p => p.ProductionOrderId),
            Define<QualityCheckFailed>(ManufacturingIntelligence.QualityCheckFailed, mi, "quality", p => p.EquipmentId),
            Define<MaintenanceScheduled>(ManufacturingIntelligence.MaintenanceScheduled, mi, "maintenance", p => p.EquipmentId),
            Define<QualityMeasurementRecorded>(ManufacturingIntelligence.QualityMeasurementRecorded, mi, "quality", p => p.EquipmentId),
        ];
    }
}
