using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Contracts.Payloads.ManufacturingIntelligence;
using EventProcessors.Contracts.Payloads.Mes;
using C = EventProcessors.Contracts.EventTypes.Collector;
using I = EventProcessors.Contracts.EventTypes.ManufacturingIntelligence;
using M = EventProcessors.Contracts.EventTypes.Mes;

namespace EventProcessors.Contracts;

/// <summary>
/// Every event type the platform knows: its payload record, origin, owning context, default data
/// classification and natural partition key. Reading a payload through the catalog validates it first,
/// so a bad event is described exactly (field and JSON path) instead of failing somewhere in a handler.
/// </summary>
public static class EventCatalog
{
    private static readonly Dictionary<string, EventDefinition> ByType = Build().ToDictionary(d => d.Type, StringComparer.Ordinal);

    public static IReadOnlyCollection<EventDefinition> Definitions => ByType.Values;

    public static bool IsKnown(string type) => ByType.ContainsKey(type);

    public static bool TryGet(string type, [NotNullWhen(true)] out EventDefinition? definition) => ByType.TryGetValue(type, out definition);

    /// <summary>Reads <paramref name="e"/>'s data into its payload record, or says exactly what is wrong.</summary>
    public static bool TryReadPayload(CloudEvent e, [NotNullWhen(true)] out object? payload, [NotNullWhen(false)] out EventError? error)
    {
        payload = null;
        if (!ByType.TryGetValue(e.Type, out var definition))
        {
            error = new EventError(EventErrorCode.UnknownType, $"Unknown event type '{e.Type}'.", "$.type");
            return false;
        }
        if (e.Data is not { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } data)
        {
            error = new EventError(EventErrorCode.MissingField, $"Event {e.Type} carries no data.", "$.data");
            return false;
        }
        var typeInfo = ContractJson.Options.GetTypeInfo(definition.PayloadType);
        error = PayloadValidator.Validate(data, typeInfo, "$.data");
        if (error is not null) return false;
        try
        {
            payload = data.Deserialize(typeInfo)!;
            return true;
        }
        catch (JsonException ex)
        {
            // The validator walks the same contract, so this is a safety net, not the normal path.
            error = new EventError(EventErrorCode.MistypedField, ex.Message, ex.Path is null ? "$.data" : "$.data" + ex.Path.TrimStart('$'));
            return false;
        }
    }

    /// <summary>Reads the payload or throws <see cref="EventValidationException"/>.</summary>
    public static T ReadPayload<T>(CloudEvent e) where T : class =>
        TryReadPayload(e, out var payload, out var error)
            ? payload as T ?? throw new InvalidOperationException($"{e.Type} reads into {payload.GetType().Name}, not {typeof(T).Name}.")
            : throw new EventValidationException(error);

    private static IEnumerable<EventDefinition> Build()
    {
        const DataClassification Internal = DataClassification.Internal;
        const DataClassification Confidential = DataClassification.Confidential;
        // Collector: money and people are confidential; stock and logistics internal.
        yield return Define<OfferApproved>(C.OfferApproved, EventOrigin.Collector, "offers", Confidential, p => p.OfferId);
        yield return Define<OrderCreated>(C.OrderCreated, EventOrigin.Collector, "orders", Confidential, p => p.OrderId);
        yield return Define<OrderConfirmed>(C.OrderConfirmed, EventOrigin.Collector, "orders", Confidential, p => p.OrderId);
        yield return Define<DeliveryDispatched>(C.DeliveryDispatched, EventOrigin.Collector, "delivery", Internal, p => p.OrderId);
        yield return Define<DeliveryConfirmed>(C.DeliveryConfirmed, EventOrigin.Collector, "delivery", Internal, p => p.OrderId);
        yield return Define<InvoiceIssued>(C.InvoiceIssued, EventOrigin.Collector, "invoicing", Confidential, p => p.InvoiceId);
        yield return Define<InvoicePaid>(C.InvoicePaid, EventOrigin.Collector, "payments", Confidential, p => p.InvoiceId);
        yield return Define<StockLow>(C.StockLow, EventOrigin.Collector, "inventory", Internal, p => p.ProductId);
        yield return Define<TaskCompleted>(C.TaskCompleted, EventOrigin.Collector, "projects", Internal, p => p.TaskId);
        yield return Define<EmployeeHired>(C.EmployeeHired, EventOrigin.Collector, "hr", Confidential, p => p.EmployeeId);
        yield return Define<PayrollProcessed>(C.PayrollProcessed, EventOrigin.Collector, "hr", Confidential, p => p.PayrollId);
        yield return Define<StockReserved>(C.StockReserved, EventOrigin.Collector, "inventory", Internal, p => p.OrderId);
        yield return Define<StockReservationFailed>(C.StockReservationFailed, EventOrigin.Collector, "inventory", Internal, p => p.OrderId);
        yield return Define<StockReceived>(C.StockReceived, EventOrigin.Collector, "inventory", Internal, p => p.ProductId);
        yield return Define<DeliveryNoteCreated>(C.DeliveryNoteCreated, EventOrigin.Collector, "delivery", Internal, p => p.OrderId);
        yield return Define<PurchaseOrderCreated>(C.PurchaseOrderCreated, EventOrigin.Collector, "procurement", Confidential, p => p.PurchaseOrderId);

        yield return Define<WorkOrderCreated>(M.WorkOrderCreated, EventOrigin.Mes, "work-order", Internal, p => p.WorkOrderId);
        yield return Define<WorkOrderUpdated>(M.WorkOrderUpdated, EventOrigin.Mes, "work-order", Internal, p => p.WorkOrderId);
        yield return Define<WorkOrderStarted>(M.WorkOrderStarted, EventOrigin.Mes, "work-order", Internal, p => p.WorkOrderId);
        yield return Define<WorkOrderCompleted>(M.WorkOrderCompleted, EventOrigin.Mes, "work-order", Internal, p => p.WorkOrderId);
        yield return Define<WorkOrderCancelled>(M.WorkOrderCancelled, EventOrigin.Mes, "work-order", Internal, p => p.WorkOrderId);
        yield return Define<WorkOrderStatusChanged>(M.WorkOrderStatusChanged, EventOrigin.Mes, "work-order", Internal, p => p.WorkOrderId);
        yield return Define<QualityInspectionCreated>(M.QualityInspectionCreated, EventOrigin.Mes, "quality", Internal, p => p.WorkOrderId);
        yield return Define<QualityInspectionCompleted>(M.QualityInspectionCompleted, EventOrigin.Mes, "quality", Internal, p => p.WorkOrderId);
        yield return Define<QualityInspectionFailed>(M.QualityInspectionFailed, EventOrigin.Mes, "quality", Internal, p => p.InspectionId);
        yield return Define<QualityNcrCreated>(M.QualityNcrCreated, EventOrigin.Mes, "quality", Internal, p => p.NcrId);
        yield return Define<QualityNcrClosed>(M.QualityNcrClosed, EventOrigin.Mes, "quality", Internal, p => p.NcrId);
        yield return Define<QualityFaiApproved>(M.QualityFaiApproved, EventOrigin.Mes, "quality", Internal, p => p.FaiId);
        yield return Define<QualityFaiRejected>(M.QualityFaiRejected, EventOrigin.Mes, "quality", Internal, p => p.FaiId);
        yield return Define<MaterialReceived>(M.MaterialReceived, EventOrigin.Mes, "material", Internal, p => p.PartId);
        yield return Define<MaterialIssued>(M.MaterialIssued, EventOrigin.Mes, "material", Internal, p => p.WorkOrderId);
        yield return Define<MaterialReturned>(M.MaterialReturned, EventOrigin.Mes, "material", Internal, p => p.PartId);
        yield return Define<MaterialLotCreated>(M.MaterialLotCreated, EventOrigin.Mes, "material", Internal, p => p.PartId);
        yield return Define<MaterialSerialGenerated>(M.MaterialSerialGenerated, EventOrigin.Mes, "material", Internal, p => p.PartId);
        yield return Define<MaterialInventoryAdjusted>(M.MaterialInventoryAdjusted, EventOrigin.Mes, "material", Internal, p => p.PartId);
        yield return Define<MaterialPartCreated>(M.MaterialPartCreated, EventOrigin.Mes, "material", Internal, p => p.PartId);
        yield return Define<MaterialPartUpdated>(M.MaterialPartUpdated, EventOrigin.Mes, "material", Internal, p => p.PartId);
        yield return Define<MaterialPartDeleted>(M.MaterialPartDeleted, EventOrigin.Mes, "material", Internal, p => p.PartId);
        yield return Define<MaterialReserved>(M.MaterialReserved, EventOrigin.Mes, "material", Internal, p => p.WorkOrderId);
        yield return Define<TraceabilityEventCreated>(M.TraceabilityEventCreated, EventOrigin.Mes, "traceability", Internal, p => p.TraceabilityEventId);
        yield return Define<TraceabilityLotGenealogyUpdated>(M.TraceabilityLotGenealogyUpdated, EventOrigin.Mes, "traceability", Internal, p => p.LotNumber);
        yield return Define<TraceabilitySerialGenealogyUpdated>(M.TraceabilitySerialGenealogyUpdated, EventOrigin.Mes, "traceability", Internal, p => p.SerialNumber);
        yield return Define<TraceabilityRecallInitiated>(M.TraceabilityRecallInitiated, EventOrigin.Mes, "traceability", Internal, p => p.RecallId);
        yield return Define<WorkCenterUpdated>(M.ResourceWorkCenterUpdated, EventOrigin.Mes, "resource", Internal, p => p.WorkCenterId);
        yield return Define<PersonnelUpdated>(M.ResourcePersonnelUpdated, EventOrigin.Mes, "resource", Confidential, p => p.PersonnelId);
        yield return Define<ProductUpdated>(M.ResourceProductUpdated, EventOrigin.Mes, "resource", Internal, p => p.ProductId);
        yield return Define<UserCreated>(M.AuthUserCreated, EventOrigin.Mes, "auth", Confidential, p => p.UserId);
        yield return Define<UserUpdated>(M.AuthUserUpdated, EventOrigin.Mes, "auth", Confidential, p => p.UserId);
        yield return Define<UserDeleted>(M.AuthUserDeleted, EventOrigin.Mes, "auth", Confidential, p => p.UserId);

        yield return Define<EquipmentStatusChanged>(I.EquipmentStatusChanged, EventOrigin.ManufacturingIntelligence, "equipment", Internal, p => p.EquipmentId);
        yield return Define<ProductionOrderStarted>(I.ProductionOrderStarted, EventOrigin.ManufacturingIntelligence, "production", Internal, p => p.ProductionOrderId);
        yield return Define<QualityCheckFailed>(I.QualityCheckFailed, EventOrigin.ManufacturingIntelligence, "quality", Internal, p => p.EquipmentId);
        yield return Define<MaintenanceScheduled>(I.MaintenanceScheduled, EventOrigin.ManufacturingIntelligence, "maintenance", Internal, p => p.EquipmentId);
        yield return Define<QualityMeasurementRecorded>(I.QualityMeasurementRecorded, EventOrigin.ManufacturingIntelligence, "quality", Internal, p => p.EquipmentId);
    }

    private static EventDefinition Define<T>(string type, EventOrigin origin, string context, DataClassification classification, Func<T, string> entityId)
        where T : class =>
        new(type, typeof(T), origin, context, classification, payload => entityId((T)payload));
}
