-- Order to cash: Orders, Delivery, Invoicing, Accounting, Crm (CreateOrderFromOffer, CreateDeliveryNote,
-- GenerateInvoice, SyncInvoice, RecordPayrollExpense, RecordPayment). Keys derive from the causing entity,
-- so the SQL output binding's upsert makes replays harmless. Unit prices keep 4 decimals (a unit can cost a
-- fraction of a cent); every amount printed on a document is whole cents.

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
    Subtotal decimal(18,2) NOT NULL,
    TaxTotal decimal(18,2) NOT NULL,
    GrandTotal decimal(18,2) NOT NULL,
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
    DiscountAmount decimal(18,2) NOT NULL,
    NetAmount decimal(18,2) NOT NULL,
    TaxPercent decimal(9,4) NOT NULL,
    TaxAmount decimal(18,2) NOT NULL,
    LineTotal decimal(18,2) NOT NULL,
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
    Subtotal decimal(18,2) NOT NULL,
    TaxTotal decimal(18,2) NOT NULL,
    GrandTotal decimal(18,2) NOT NULL,
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
    DiscountAmount decimal(18,2) NOT NULL,
    NetAmount decimal(18,2) NOT NULL,
    TaxPercent decimal(9,4) NOT NULL,
    TaxAmount decimal(18,2) NOT NULL,
    LineTotal decimal(18,2) NOT NULL,
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
    Debit decimal(18,2) NOT NULL,
    Credit decimal(18,2) NOT NULL,
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
    Amount decimal(18,2) NOT NULL,
    AppliedAmount decimal(18,2) NOT NULL,
    CreditAmount decimal(18,2) NOT NULL,
    Currency nvarchar(3) NOT NULL,
    PaymentMethod nvarchar(128) NULL,
    PaymentDate datetimeoffset NOT NULL,
    CONSTRAINT PK_Payments PRIMARY KEY (PaymentId)
);

-- Quality
CREATE TABLE dbo.Inspections (
    InspectionId nvarchar(128) NOT NULL,
    TenantId nvarchar(128) NOT NULL,
    InspectionNumber nvarchar(128) NOT NULL,
    WorkOrderId nvarchar(128) NOT NULL,
    WorkOrderNumber nvarchar(128) NOT NULL,
    InspectionType nvarchar(32) NOT NULL,
    QuantityToInspect decimal(18,4) NOT NULL,
    PartId nvarchar(128) NULL,
    LotNumber nvarchar(128) NULL,
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
    QuantityRejected decimal(18,4) NOT NULL,
    Description nvarchar(400) NOT NULL,
    PartId nvarchar(128) NULL,
    LotNumber nvarchar(128) NULL,
    Status nvarchar(32) NOT NULL,
    CreatedAt datetimeoffset NOT NULL,
    CONSTRAINT PK_Ncrs PRIMARY KEY (NcrId)
);

-- Traceability
CREATE TABLE dbo.TraceabilityEvents (
    TraceabilityEventId nvarchar(128) NOT NULL,
    TenantId nvarchar(128) NOT NULL,
    Activity nvarchar(32) NOT NULL,
    SourceEventId nvarchar(128) NOT NULL,
    PartId nvarchar(128) NULL,
    LotNumber nvarchar(128) NULL,
    SerialNumbers nvarchar(max) NULL,
    WorkOrderId nvarchar(128) NULL,
    Quantity decimal(18,4) NULL,
    OccurredAt datetimeoffset NOT NULL,
    CONSTRAINT PK_TraceabilityEvents PRIMARY KEY (TraceabilityEventId)
);
