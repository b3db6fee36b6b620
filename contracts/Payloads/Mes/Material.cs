namespace EventProcessors.Contracts.Payloads.Mes;

// Seed 000 names the material events without payloads; the lot number is required wherever
// material moves, because RecordGenealogy links lots.

/// <summary><c>material.received</c>: a lot of material arrived from a supplier.</summary>
public sealed record MaterialReceived
{
    public required string LotNumber { get; init; }
    public required string PartId { get; init; }
    public required string PartNumber { get; init; }
    public required decimal Quantity { get; init; }
    public string? UnitOfMeasure { get; init; }
    public string? SupplierId { get; init; }
    public string? SupplierLotNumber { get; init; }
    public string? PurchaseOrderId { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
    public required string ReceivedBy { get; init; }
}

/// <summary><c>material.issued</c>: material from a lot was issued to a work order.</summary>
public sealed record MaterialIssued
{
    public required string WorkOrderId { get; init; }
    public required string LotNumber { get; init; }
    public required string PartId { get; init; }
    public required string PartNumber { get; init; }
    public required decimal Quantity { get; init; }
    public string? UnitOfMeasure { get; init; }
    public IReadOnlyList<string>? SerialNumbers { get; init; }
    public required DateTimeOffset IssuedAt { get; init; }
    public required string IssuedBy { get; init; }
}

/// <summary><c>material.returned</c>: unused material went back to stock.</summary>
public sealed record MaterialReturned
{
    public string? WorkOrderId { get; init; }
    public required string LotNumber { get; init; }
    public required string PartId { get; init; }
    public required string PartNumber { get; init; }
    public required decimal Quantity { get; init; }
    public string? Reason { get; init; }
    public required DateTimeOffset ReturnedAt { get; init; }
    public required string ReturnedBy { get; init; }
}

/// <summary><c>material.lot.created</c> (seed 001 LOT_CREATED).</summary>
public sealed record MaterialLotCreated
{
    public required string LotNumber { get; init; }
    public required string PartId { get; init; }
    public required string PartNumber { get; init; }
    public required decimal Quantity { get; init; }
    public DateTimeOffset? ExpiryDate { get; init; }
}

/// <summary><c>material.serial.generated</c>: serial numbers were generated for a part (in one batch).</summary>
public sealed record MaterialSerialGenerated
{
    public required string PartId { get; init; }
    public required string PartNumber { get; init; }
    public required IReadOnlyList<string> SerialNumbers { get; init; }
    public string? LotNumber { get; init; }
    public string? WorkOrderId { get; init; }
}

/// <summary><c>material.inventory.adjusted</c>: UpdateInventory booked finished goods (or a correction).</summary>
public sealed record MaterialInventoryAdjusted
{
    public required string PartId { get; init; }
    public string? PartNumber { get; init; }
    /// <summary>Signed: an adjustment may add or remove; only the resulting on-hand is never negative.</summary>
    public required decimal QuantityChange { get; init; }
    public required decimal QuantityOnHand { get; init; }
    /// <summary>Why, for example PRODUCTION_COMPLETED.</summary>
    public required string Reason { get; init; }
    public string? WorkOrderId { get; init; }
    public string? LotNumber { get; init; }
    public required DateTimeOffset AdjustedAt { get; init; }
}

/// <summary><c>material.part.created</c> (seed 001 PartCreatedPayload, fields as in its part cache example).</summary>
public sealed record MaterialPartCreated
{
    public required string PartId { get; init; }
    public required string PartNumber { get; init; }
    public required string PartName { get; init; }
    public string? Revision { get; init; }
    public string? UnitOfMeasure { get; init; }
}

/// <summary><c>material.part.updated</c> (seed 001 PartUpdatedPayload): SyncPartReference refreshes the part cache.</summary>
public sealed record MaterialPartUpdated
{
    public required string PartId { get; init; }
    public required string PartNumber { get; init; }
    public required string PartName { get; init; }
    public string? Revision { get; init; }
    public required PartChanges Changes { get; init; }
    public PartChanges? PreviousValues { get; init; }
}

/// <summary>Partial&lt;PartCreatedPayload&gt; of seed 001: only the fields that changed are present.</summary>
public sealed record PartChanges
{
    public string? PartNumber { get; init; }
    public string? PartName { get; init; }
    public string? Revision { get; init; }
    public string? UnitOfMeasure { get; init; }
}

/// <summary><c>material.part.deleted</c> (seed 001 PART_DELETED).</summary>
public sealed record MaterialPartDeleted
{
    public required string PartId { get; init; }
    public required string PartNumber { get; init; }
}

/// <summary><c>material.reserved</c> (new): ReserveMaterial reserved the material of a new work order.</summary>
public sealed record MaterialReserved
{
    public required string WorkOrderId { get; init; }
    public required string WorkOrderNumber { get; init; }
    public required IReadOnlyList<MaterialReservationLine> Lines { get; init; }
}

public sealed record MaterialReservationLine
{
    public required string PartId { get; init; }
    public required string PartNumber { get; init; }
    public required decimal Quantity { get; init; }
    /// <summary>Set when the reservation is held against a specific lot.</summary>
    public string? LotNumber { get; init; }
}
