-- Order to cash: Orders, Delivery, Invoicing, Accounting, Crm (CreateOrderFromOffer, CreateDeliveryNote,
-- GenerateInvoice, SyncInvoice, RecordPayrollExpense, RecordPayment). Keys derive from the causing entity,
-- so the SQL output binding's upsert makes replays harmless. Unit prices keep 4 decimals (a unit can cost a
-- fraction of a cent); every amount printed on a document is a whole number of its currency's ISO 4217 minor units
-- (0 decimals for JPY, 2 for USD, 3 for KWD), so amount columns keep 3.

-- Orders
CREATE TABLE dbo.Orders (
    OrderId nvarchar(128) NOT NULL,
    TenantId nvarchar(128) NOT NULL,
    OrderNumber nvarchar(128) NOT NULL,
    OfferId nvarchar(128) NOT NULL,
    OfferNumber nvarchar(128) NOT NULL,
    CustomerId nvarchar(128) NOT NULL,
    Currency nvarchar(3) NOT NULL,
    Status nvarchar(32) NOT NULL,
    Subtotal decimal(18,3) NOT NULL,
    TaxTotal decimal(18,3) NOT NULL,
    GrandTotal decimal(18,3) NOT NULL,
    CreatedAt datetimeoffset NOT NULL,
    CONSTRAINT PK_Orders PRIMARY KEY (OrderId)
);

CREATE TABLE dbo.OrderLines (
    OrderId nvarchar(128) NOT NULL,
    LineNumber int NOT NULL,
    TenantId nvarchar(128) NOT NULL,
    ProductId nvarchar(128) NOT NULL,
    Description nvarchar(400) NOT NULL,
    Quantity decimal(18,4) NOT NULL,
    UnitPrice decimal(18,4) NOT NULL,
    DiscountPercent decimal(9,4) NOT NULL,
    DiscountAmount decimal(18,3) NOT NULL,
    NetAmount decimal(18,3) NOT NULL,
    TaxPercent decimal(9,4) NOT NULL,
    TaxAmount decimal(18,3) NOT NULL,
    LineTotal decimal(18,3) NOT NULL,
    CONSTRAINT PK_OrderLines PRIMARY KEY (OrderId, LineNumber)
);

-- Delivery
CREATE TABLE dbo.DeliveryNotes (
    DeliveryNoteId nvarchar(128) NOT NULL,
    TenantId nvarchar(128) NOT NULL,
    DeliveryNumber nvarchar(128) NOT NULL,
    OrderId nvarchar(128) NOT NULL,
    OrderNumber nvarchar(128) NOT NULL,
    CustomerId nvarchar(128) NOT NULL,
    ShippingAddressId nvarchar(128) NOT NULL,
    Status nvarchar(32) NOT NULL,
    CreatedAt datetimeoffset NOT NULL,
    CONSTRAINT PK_DeliveryNotes PRIMARY KEY (DeliveryNoteId)
);

CREATE TABLE dbo.DeliveryNoteLines (
    DeliveryNoteId nvarchar(128) NOT NULL,
    LineNumber int NOT NULL,
    TenantId nvarchar(128) NOT NULL,
    ProductId nvarchar(128) NOT NULL,
    Description nvarchar(400) NOT NULL,
    Quantity decimal(18,4) NOT NULL,
    Unit nvarchar(32) NOT NULL,
    CONSTRAINT PK_DeliveryNoteLines PRIMARY KEY (DeliveryNoteId, LineNumber)
);

-- Invoicing
CREATE TABLE dbo.Invoices (
    InvoiceId nvarchar(128) NOT NULL,
    TenantId nvarchar(128) NOT NULL,
    InvoiceNumber nvarchar(128) NOT NULL,
    CustomerId nvarchar(128) NOT NULL,
    OrderId nvarchar(128) NOT NULL,
    OrderNumber nvarchar(128) NOT NULL,
    DeliveryNoteId nvarchar(128) NOT NULL,
    DeliveryNumber nvarchar(128) NOT NULL,
    Currency nvarchar(3) NOT NULL,
    Subtotal decimal(18,3) NOT NULL,
    TaxTotal decimal(18,3) NOT NULL,
    GrandTotal decimal(18,3) NOT NULL,
    StatedGrandTotal decimal(18,3) NOT NULL,
    GrandTotalDifference decimal(18,3) NOT NULL,
    IssuedAt datetimeoffset NOT NULL,
    DueDate datetimeoffset NOT NULL,
    CONSTRAINT PK_Invoices PRIMARY KEY (InvoiceId)
);

CREATE TABLE dbo.InvoiceLines (
    InvoiceId nvarchar(128) NOT NULL,
    LineNumber int NOT NULL,
    TenantId nvarchar(128) NOT NULL,
    ProductId nvarchar(128) NOT NULL,
    Description nvarchar(400) NOT NULL,
    Quantity decimal(18,4) NOT NULL,
    UnitPrice decimal(18,4) NOT NULL,
    DiscountPercent decimal(9,4) NOT NULL,
    DiscountAmount decimal(18,3) NOT NULL,
    NetAmount decimal(18,3) NOT NULL,
    TaxPercent decimal(9,4) NOT NULL,
    TaxAmount decimal(18,3) NOT NULL,
    LineTotal decimal(18,3) NOT NULL,
    CONSTRAINT PK_InvoiceLines PRIMARY KEY (InvoiceId, LineNumber)
);

-- Accounting (invoice and payroll postings share the ledger)
CREATE TABLE dbo.LedgerEntries (
    EntryId nvarchar(128) NOT NULL,
    TenantId nvarchar(128) NOT NULL,
    JournalId nvarchar(128) NOT NULL,
    SourceType nvarchar(32) NOT NULL,
    SourceId nvarchar(128) NOT NULL,
    SourceNumber nvarchar(128) NOT NULL,
    Account nvarchar(128) NOT NULL,
    Debit decimal(18,3) NOT NULL,
    Credit decimal(18,3) NOT NULL,
    Currency nvarchar(3) NOT NULL,
    CustomerId nvarchar(128) NULL,
    Description nvarchar(400) NOT NULL,
    PostedAt datetimeoffset NOT NULL,
    CONSTRAINT PK_LedgerEntries PRIMARY KEY (EntryId)
);

-- Crm
CREATE TABLE dbo.Payments (
    PaymentId nvarchar(128) NOT NULL,
    TenantId nvarchar(128) NOT NULL,
    CustomerId nvarchar(128) NOT NULL,
    InvoiceId nvarchar(128) NOT NULL,
    InvoiceNumber nvarchar(128) NOT NULL,
    Amount decimal(18,3) NOT NULL,
    AppliedAmount decimal(18,3) NOT NULL,
    CreditAmount decimal(18,3) NOT NULL,
    OutstandingAmount decimal(18,3) NOT NULL,
    Currency nvarchar(3) NOT NULL,
    PaymentMethod nvarchar(128) NULL,
    PaymentDate datetimeoffset NOT NULL,
    CONSTRAINT PK_Payments PRIMARY KEY (PaymentId)
);

-- Inventory, Procurement, Payroll, Projects (ReceiveStock, DeductStock, CreatePurchaseOrder,
-- RecordBillableHours, CreateResource). Stock levels and reservations live in Table Storage; these are the
-- records the actions write. Keys derive from the causing receipt, delivery note, stock.low, task or employee.

-- Inventory
CREATE TABLE dbo.StockMovements (
    MovementId nvarchar(128) NOT NULL,
    TenantId nvarchar(128) NOT NULL,
    ProductId nvarchar(128) NOT NULL,
    WarehouseId nvarchar(128) NOT NULL,
    MovementType nvarchar(32) NOT NULL,
    Quantity decimal(18,4) NOT NULL,
    OrderId nvarchar(128) NULL,
    DeliveryNoteId nvarchar(128) NULL,
    PurchaseOrderId nvarchar(128) NULL,
    OccurredAt datetimeoffset NOT NULL,
    CONSTRAINT PK_StockMovements PRIMARY KEY (MovementId)
);

-- Procurement
CREATE TABLE dbo.PurchaseOrders (
    PurchaseOrderId nvarchar(128) NOT NULL,
    TenantId nvarchar(128) NOT NULL,
    PurchaseOrderNumber nvarchar(128) NOT NULL,
    ProductId nvarchar(128) NOT NULL,
    ProductName nvarchar(400) NOT NULL,
    Sku nvarchar(128) NOT NULL,
    WarehouseId nvarchar(128) NOT NULL,
    WarehouseName nvarchar(400) NOT NULL,
    Quantity decimal(18,4) NOT NULL,
    CurrentQuantity decimal(18,4) NOT NULL,
    ReorderLevel decimal(18,4) NOT NULL,
    CreatedAt datetimeoffset NOT NULL,
    CONSTRAINT UQ_PurchaseOrders_Number UNIQUE (TenantId, PurchaseOrderNumber),
    CONSTRAINT PK_PurchaseOrders PRIMARY KEY (PurchaseOrderId)
);

-- Append-only: one row per receipt, never rewritten (a "latest state" row could be upserted back to an older state).
CREATE TABLE dbo.PurchaseOrderReceipts (
    ReceiptId nvarchar(128) NOT NULL,
    TenantId nvarchar(128) NOT NULL,
    PurchaseOrderId nvarchar(128) NOT NULL,
    PurchaseOrderNumber nvarchar(128) NOT NULL,
    ProductId nvarchar(128) NOT NULL,
    WarehouseId nvarchar(128) NOT NULL,
    Quantity decimal(18,4) NOT NULL,
    CompletesOrder bit NOT NULL,
    ReceivedAt datetimeoffset NOT NULL,
    CONSTRAINT PK_PurchaseOrderReceipts PRIMARY KEY (ReceiptId)
);

-- Payroll
CREATE TABLE dbo.BillableHours (
    BillableHoursId nvarchar(128) NOT NULL,
    TenantId nvarchar(128) NOT NULL,
    ResourceId nvarchar(128) NOT NULL,
    TaskId nvarchar(128) NOT NULL,
    TaskName nvarchar(400) NOT NULL,
    ProjectId nvarchar(128) NOT NULL,
    ProjectName nvarchar(400) NOT NULL,
    Hours decimal(18,4) NOT NULL,
    EstimatedHours decimal(18,4) NULL,
    CompletedAt datetimeoffset NOT NULL,
    CONSTRAINT PK_BillableHours PRIMARY KEY (BillableHoursId)
);

-- Projects
CREATE TABLE dbo.Resources (
    ResourceId nvarchar(128) NOT NULL,
    TenantId nvarchar(128) NOT NULL,
    EmployeeId nvarchar(128) NOT NULL,
    EmployeeNumber nvarchar(128) NOT NULL,
    DisplayName nvarchar(400) NOT NULL,
    Email nvarchar(320) NOT NULL,
    Position nvarchar(200) NOT NULL,
    Department nvarchar(200) NULL,
    AvailableFrom datetimeoffset NOT NULL,
    CONSTRAINT PK_Resources PRIMARY KEY (ResourceId)
);

-- MES and equipment: Quality, Material, Traceability, Monitoring (CreateInspection, RaiseNonConformance,
-- ReserveMaterial, UpdateInventory, RecordGenealogy, ProjectEquipmentStatus). Keys derive from the causing
-- entity (work order, inspection, MES event), so the SQL output binding's upsert makes replays harmless.
-- Quantities keep 4 decimals (material is weighed and measured, not only counted).

-- Quality
CREATE TABLE dbo.Inspections (
    InspectionId nvarchar(128) NOT NULL,
    TenantId nvarchar(128) NOT NULL,
    InspectionNumber nvarchar(128) NOT NULL,
    InspectionType nvarchar(32) NOT NULL,
    WorkOrderId nvarchar(128) NOT NULL,
    WorkOrderNumber nvarchar(128) NOT NULL,
    PartId nvarchar(128) NULL,
    PartNumber nvarchar(128) NULL,
    LotNumber nvarchar(128) NULL,
    QuantityToInspect decimal(18,4) NOT NULL,
    Status nvarchar(32) NOT NULL,
    CreatedAt datetimeoffset NOT NULL,
    CONSTRAINT PK_Inspections PRIMARY KEY (InspectionId)
);

CREATE TABLE dbo.Ncrs (
    NcrId nvarchar(128) NOT NULL,
    TenantId nvarchar(128) NOT NULL,
    NcrNumber nvarchar(128) NOT NULL,
    InspectionId nvarchar(128) NOT NULL,
    InspectionNumber nvarchar(128) NOT NULL,
    WorkOrderId nvarchar(128) NOT NULL,
    PartId nvarchar(128) NULL,
    LotNumber nvarchar(128) NULL,
    QuantityInspected decimal(18,4) NOT NULL,
    QuantityRejected decimal(18,4) NOT NULL,
    Description nvarchar(400) NOT NULL,
    Status nvarchar(32) NOT NULL,
    DetectedBy nvarchar(128) NOT NULL,
    DetectedAt datetimeoffset NOT NULL,
    CONSTRAINT PK_Ncrs PRIMARY KEY (NcrId)
);

-- Material
CREATE TABLE dbo.MaterialReservations (
    ReservationId nvarchar(128) NOT NULL,
    LineNumber int NOT NULL,
    TenantId nvarchar(128) NOT NULL,
    WorkOrderId nvarchar(128) NOT NULL,
    WorkOrderNumber nvarchar(128) NOT NULL,
    PartId nvarchar(128) NOT NULL,
    PartNumber nvarchar(128) NOT NULL,
    Quantity decimal(18,4) NOT NULL,
    LotNumber nvarchar(128) NULL,
    ReservedAt datetimeoffset NOT NULL,
    CONSTRAINT PK_MaterialReservations PRIMARY KEY (ReservationId, LineNumber)
);

CREATE TABLE dbo.InventoryAdjustments (
    AdjustmentId nvarchar(128) NOT NULL,
    TenantId nvarchar(128) NOT NULL,
    PartId nvarchar(128) NOT NULL,
    PartNumber nvarchar(128) NULL,
    Reason nvarchar(64) NOT NULL,
    WorkOrderId nvarchar(128) NULL,
    LotNumber nvarchar(128) NULL,
    QuantityChange decimal(18,4) NOT NULL,
    QuantityOnHand decimal(18,4) NOT NULL,
    AdjustedAt datetimeoffset NOT NULL,
    CONSTRAINT PK_InventoryAdjustments PRIMARY KEY (AdjustmentId)
);

-- Traceability (recall: a recursive query over GenealogyLinks, forward from a lot or backward from a serial)
CREATE TABLE dbo.TraceabilityEvents (
    TraceabilityEventId nvarchar(128) NOT NULL,
    TenantId nvarchar(128) NOT NULL,
    Activity nvarchar(32) NOT NULL,
    SourceEventId nvarchar(256) NOT NULL,
    SourceEventType nvarchar(128) NOT NULL,
    PartId nvarchar(128) NULL,
    LotNumber nvarchar(128) NULL,
    WorkOrderId nvarchar(128) NULL,
    Quantity decimal(18,4) NULL,
    OccurredAt datetimeoffset NOT NULL,
    CONSTRAINT PK_TraceabilityEvents PRIMARY KEY (TraceabilityEventId)
);

CREATE TABLE dbo.GenealogyLinks (
    LinkId nvarchar(128) NOT NULL,
    TenantId nvarchar(128) NOT NULL,
    ParentType nvarchar(16) NOT NULL,
    ParentNumber nvarchar(128) NOT NULL,
    ChildType nvarchar(16) NOT NULL,
    ChildNumber nvarchar(128) NOT NULL,
    WorkOrderId nvarchar(128) NOT NULL,
    Quantity decimal(18,4) NULL,
    LinkedAt datetimeoffset NOT NULL,
    CONSTRAINT PK_GenealogyLinks PRIMARY KEY (LinkId)
);

CREATE INDEX IX_GenealogyLinks_Parent ON dbo.GenealogyLinks (TenantId, ParentType, ParentNumber);
CREATE INDEX IX_GenealogyLinks_Child ON dbo.GenealogyLinks (TenantId, ChildType, ChildNumber);

-- Monitoring
CREATE TABLE dbo.EquipmentStatusChanges (
    ChangeId nvarchar(128) NOT NULL,
    TenantId nvarchar(128) NOT NULL,
    EquipmentId nvarchar(128) NOT NULL,
    OldStatus nvarchar(64) NOT NULL,
    NewStatus nvarchar(64) NOT NULL,
    ChangedAt datetimeoffset NOT NULL,
    EventId nvarchar(256) NOT NULL,
    CONSTRAINT PK_EquipmentStatusChanges PRIMARY KEY (ChangeId)
);
GO

-- A purchase order's state, derived from its receipts: it only moves forward as receipts are added.
CREATE VIEW dbo.PurchaseOrderProgress AS
SELECT po.PurchaseOrderId, po.TenantId, po.PurchaseOrderNumber, po.ProductId, po.WarehouseId, po.Quantity,
       COALESCE(r.ReceivedQuantity, 0) AS ReceivedQuantity,
       CASE WHEN r.CompletedAt IS NOT NULL THEN 'RECEIVED' WHEN r.ReceivedQuantity > 0 THEN 'PARTIALLY_RECEIVED' ELSE 'OPEN' END AS Status,
       po.CreatedAt, r.CompletedAt AS ReceivedAt
FROM dbo.PurchaseOrders po
LEFT JOIN (
    SELECT PurchaseOrderId, SUM(Quantity) AS ReceivedQuantity, MIN(CASE WHEN CompletesOrder = 1 THEN ReceivedAt END) AS CompletedAt
    FROM dbo.PurchaseOrderReceipts GROUP BY PurchaseOrderId
) r ON r.PurchaseOrderId = po.PurchaseOrderId;
GO

-- Event store (issue 16): every event the audit functions saw on either bus, once per (TenantId, Source, EventId),
-- with its transport coordinates and envelope (data only as its classification allows: Payload says Kept, Encrypted
-- or Omitted). Indexes serve the event store's queries: a flow, an entity's history, a type, a time range.
CREATE TABLE dbo.Events (
    TenantId nvarchar(64) NOT NULL,
    Source nvarchar(128) NOT NULL,
    EventId nvarchar(128) NOT NULL,
    Type nvarchar(128) NOT NULL,
    OccurredAt datetimeoffset NOT NULL,
    ArrivedAt datetimeoffset NOT NULL,
    CorrelationId nvarchar(256) NOT NULL,
    CausationId nvarchar(256) NULL,
    Entity nvarchar(256) NULL,
    DataClassification nvarchar(16) NULL,
    Payload nvarchar(16) NOT NULL,
    Bus nvarchar(16) NOT NULL,
    Destination nvarchar(256) NOT NULL,
    RoutingKey nvarchar(256) NULL,
    KafkaPartition int NULL,
    KafkaOffset bigint NULL,
    Envelope nvarchar(max) NOT NULL,
    ReadError nvarchar(4000) NULL,
    -- The key stays under SQL Server's 900-byte limit of a clustered key.
    CONSTRAINT PK_Events PRIMARY KEY (TenantId, Source, EventId)
);
CREATE INDEX IX_Events_Correlation ON dbo.Events (TenantId, CorrelationId, OccurredAt);
CREATE INDEX IX_Events_Entity ON dbo.Events (TenantId, Entity, OccurredAt);
CREATE INDEX IX_Events_Type ON dbo.Events (TenantId, Type, OccurredAt);
CREATE INDEX IX_Events_Time ON dbo.Events (TenantId, OccurredAt);
