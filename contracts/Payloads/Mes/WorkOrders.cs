namespace EventProcessors.Contracts.Payloads.Mes;

/// <summary><c>work-order.created</c> (seed 000, publishing pattern): Material reserves the work order's material.</summary>
public sealed record WorkOrderCreated
{
    public required string WorkOrderId { get; init; }
    public required string WorkOrderNumber { get; init; }
    public required string PartId { get; init; }
    public required string PartNumber { get; init; }
    public required decimal Quantity { get; init; }
    public required DateTimeOffset DueDate { get; init; }
    /// <summary>The MES's own priority value (seed 000 shows no values), passed through as text.</summary>
    public required string Priority { get; init; }
    public required string CreatedBy { get; init; }

    /// <summary>
    /// Optional addition: the work order's bill of materials, what ReserveMaterial reserves. The documented
    /// payload has none; then the work order's own part and quantity is its material.
    /// </summary>
    public IReadOnlyList<WorkOrderMaterial>? Materials { get; init; }
}

/// <summary>One line of a work order's bill of materials: a component part and the quantity the whole order needs.</summary>
public sealed record WorkOrderMaterial
{
    public required string PartId { get; init; }
    public required string PartNumber { get; init; }
    public required decimal Quantity { get; init; }
    /// <summary>Set when the material must come from one lot.</summary>
    public string? LotNumber { get; init; }
}

/// <summary>
/// <c>work-order.updated</c> (seed 000 names it, shows no payload): modelled like
/// <c>material.part.updated</c> of seed 001, with the changed fields and their previous values.
/// </summary>
public sealed record WorkOrderUpdated
{
    public required string WorkOrderId { get; init; }
    public required string WorkOrderNumber { get; init; }
    public required WorkOrderChanges Changes { get; init; }
    public WorkOrderChanges? PreviousValues { get; init; }
    public required string UpdatedBy { get; init; }
}

/// <summary>The work-order fields that may change (a partial <see cref="WorkOrderCreated"/>).</summary>
public sealed record WorkOrderChanges
{
    public string? PartId { get; init; }
    public string? PartNumber { get; init; }
    public decimal? Quantity { get; init; }
    public DateTimeOffset? DueDate { get; init; }
    public string? Priority { get; init; }
}

/// <summary><c>work-order.started</c> (named in seed 000): production started.</summary>
public sealed record WorkOrderStarted
{
    public required string WorkOrderId { get; init; }
    public required string WorkOrderNumber { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required string StartedBy { get; init; }
}

/// <summary>
/// <c>work-order.completed</c> (seed 000, WorkOrderService.completeWorkOrder). The documented fields
/// are required. Part, produced lot/serials and consumed lots are added as optional fields because
/// UpdateInventory and RecordGenealogy need them and the documented example does not carry them.
/// </summary>
public sealed record WorkOrderCompleted
{
    public required string WorkOrderId { get; init; }
    public required string WorkOrderNumber { get; init; }
    public required decimal QuantityCompleted { get; init; }
    public required decimal QuantityRejected { get; init; }
    public required DateTimeOffset CompletedAt { get; init; }
    public required string CompletedBy { get; init; }

    public string? PartId { get; init; }
    public string? PartNumber { get; init; }
    /// <summary>The lot the finished goods were booked into.</summary>
    public string? ProducedLotNumber { get; init; }
    public IReadOnlyList<string>? ProducedSerialNumbers { get; init; }
    /// <summary>The material lots the work order used: the parents in the lot genealogy.</summary>
    public IReadOnlyList<ConsumedLot>? ConsumedLots { get; init; }
}

/// <summary>A quantity taken from one lot into a product: one parent link of the genealogy.</summary>
public sealed record ConsumedLot
{
    public required string LotNumber { get; init; }
    public string? PartId { get; init; }
    public string? PartNumber { get; init; }
    public required decimal Quantity { get; init; }
}

/// <summary><c>work-order.cancelled</c> (named in seed 000).</summary>
public sealed record WorkOrderCancelled
{
    public required string WorkOrderId { get; init; }
    public required string WorkOrderNumber { get; init; }
    public string? Reason { get; init; }
    public required DateTimeOffset CancelledAt { get; init; }
    public required string CancelledBy { get; init; }
}

/// <summary><c>work-order.status.changed</c> (seed 001, WorkOrderStatusChangedPayload).</summary>
public sealed record WorkOrderStatusChanged
{
    public required string WorkOrderId { get; init; }
    public required string WorkOrderNumber { get; init; }
    public required string PreviousStatus { get; init; }
    public required string NewStatus { get; init; }
    public required DateTimeOffset ChangedAt { get; init; }
    public required string ChangedBy { get; init; }
}
