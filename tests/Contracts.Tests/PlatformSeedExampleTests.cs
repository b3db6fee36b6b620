using System.Text.Json;
using EventProcessors.Contracts.Payloads.ManufacturingIntelligence;
using EventProcessors.Contracts.Payloads.Mes;
using static EventProcessors.Contracts.Tests.TestData;

namespace EventProcessors.Contracts.Tests;

/// <summary>
/// The MES (seeds 000, 001), manufacturing-intelligence (002) and shared-events (004) examples. The
/// documents build these events in code (<c>workOrder.id</c>, <c>createEventMetadata(...)</c>), so the
/// files use the documents' literal values where they give them (wo-123, 100, test-service, P-12345,
/// equip-123, 10.5, user-123, ...) and plausible ones elsewhere.
/// </summary>
public sealed class PlatformSeedExampleTests
{
    [Fact]
    public void Mes_work_order_created_from_the_publishing_pattern()
    {
        var e = ReadEvent(Example("Mes/work-order.created.json"));
        Assert.Equal(new CloudEvent
        {
            Id = "0f8e3c2a-5b1d-4e7f-9a6c-2d4b8e1f3a70", Type = "work-order.created", Source = "work-order-service",
            Time = At("2025-10-19T08:15:00.000Z"), UserId = "user-42", CorrelationId = "req-7f3a91", Data = e.Data,
        }, e);
        Assert.Equal(new WorkOrderCreated
        {
            WorkOrderId = "wo-123", WorkOrderNumber = "WO-2025-0001", PartId = "P-12345", PartNumber = "P-12345",
            Quantity = 100m, DueDate = At("2025-11-01T00:00:00.000Z"), Priority = "HIGH", CreatedBy = "user-42",
        }, Payload<WorkOrderCreated>(e));
    }

    [Fact]
    public void Mes_work_order_completed_from_the_work_order_service()
    {
        var e = ReadEvent(Example("Mes/work-order.completed.json"));
        Assert.Equal(new CloudEvent
        {
            Id = "7c1d9e4b-2f6a-4b3c-8d5e-9a0b1c2d3e4f", Type = "work-order.completed", Source = "work-order-service",
            Time = At("2025-10-20T16:30:00.000Z"), UserId = "user-42", CorrelationId = "req-7f3a91", Data = e.Data,
        }, e);
        Assert.Equal(new WorkOrderCompleted
        {
            WorkOrderId = "wo-123", WorkOrderNumber = "WO-2025-0001", QuantityCompleted = 98m, QuantityRejected = 2m,
            CompletedAt = At("2025-10-20T16:29:58.000Z"), CompletedBy = "user-42",
        }, Payload<WorkOrderCompleted>(e));
    }

    [Fact]
    public void Mes_work_order_completed_from_the_consumer_integration_test()
    {
        var e = ReadEvent(Example("Mes/work-order.completed.consumer-test.json"));
        Assert.Equal(new CloudEvent
        {
            Id = "3a5b7c9d-1e2f-4a6b-8c0d-2e4f6a8b0c1d", Type = "work-order.completed", Source = "test-service",
            Time = At("2025-10-20T16:30:00.000Z"), UserId = "test-user", Data = e.Data,
        }, e);
        var p = Payload<WorkOrderCompleted>(e);
        Assert.Equal(("wo-123", 100m), (p.WorkOrderId, p.QuantityCompleted));
        Assert.Equal("wo-123", EventCatalog.ReadPayload(e).Value!.EntityId);
    }

    [Fact]
    public void Mes_quality_inspection_completed_from_the_inspection_service()
    {
        var e = ReadEvent(Example("Mes/quality.inspection.completed.json"));
        Assert.Equal(new CloudEvent
        {
            Id = "b2c4d6e8-0a1b-4c3d-9e5f-7a8b9c0d1e2f", Type = "quality.inspection.completed", Source = "quality-service",
            Time = At("2025-10-21T09:00:00.000Z"), UserId = "inspector-7", CorrelationId = "req-7f3a91", Data = e.Data,
        }, e);
        Assert.Equal(new QualityInspectionCompleted
        {
            InspectionId = "insp-456", InspectionNumber = "INSP-2025-0042", WorkOrderId = "wo-123",
            Result = InspectionResult.Fail, QuantityInspected = 98m, QuantityAccepted = 95m, QuantityRejected = 3m,
            NcrGenerated = true, InspectedBy = "inspector-7", InspectionDate = At("2025-10-21T08:59:30.000Z"),
        }, Payload<QualityInspectionCompleted>(e));
    }

    [Fact]
    public void Seed_001_part_updated_domain_event()
    {
        var e = ReadEvent(Example("Mes/material.part.updated.json"));
        // entityId is the partition key ("automatic partitioning by entity ID"); metadata.userId maps;
        // entityType and metadata.action are dropped.
        Assert.Equal(new CloudEvent
        {
            Id = "e4f5a6b7-c8d9-4e0f-a1b2-c3d4e5f6a7b8", Type = "material.part.updated", Source = "material-service",
            Time = At("2025-10-18T12:00:00.000Z"), PartitionKey = "P-12345", UserId = "user-123", Data = e.Data,
        }, e);
        Assert.Equal(new MaterialPartUpdated
        {
            PartId = "P-12345", PartNumber = "P-99999", PartName = "Landing Gear Strut",
            Changes = new PartChanges { PartNumber = "P-99999" },
            PreviousValues = new PartChanges { PartNumber = "P-12345" },
        }, Payload<MaterialPartUpdated>(e));
    }

    [Fact]
    public void Seed_001_work_order_status_changed_domain_event()
    {
        var e = ReadEvent(Example("Mes/work-order.status.changed.json"));
        Assert.Equal(new CloudEvent
        {
            Id = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e", Type = "work-order.status.changed", Source = "work-order-service",
            Time = At("2025-10-18T13:45:00.000Z"), PartitionKey = "wo-123", UserId = "user-123", Data = e.Data,
        }, e);
        Assert.Equal(new WorkOrderStatusChanged
        {
            WorkOrderId = "wo-123", WorkOrderNumber = "WO-2025-0001", PreviousStatus = "RELEASED",
            NewStatus = "IN_PROGRESS", ChangedAt = At("2025-10-18T13:45:00.000Z"), ChangedBy = "user-123",
        }, Payload<WorkOrderStatusChanged>(e));
    }

    [Fact]
    public void Manufacturing_intelligence_equipment_status_changed()
    {
        var e = ReadEvent(Example("ManufacturingIntelligence/equipment.status.changed.json"));
        // priority HIGH maps to the priority extension; status (the producer's delivery state) is dropped.
        Assert.Equal(new CloudEvent
        {
            Id = "evt-2f9c41d0", Type = "equipment.status.changed", Source = "equipment-service",
            Time = At("2025-09-30T07:12:45.120Z"), CorrelationId = "corr-eq-0001", Priority = EventPriority.High,
            Data = e.Data,
        }, e);
        Assert.Equal(new EquipmentStatusChanged { EquipmentId = "equip-123", NewStatus = "maintenance", OldStatus = "operational" },
            Payload<EquipmentStatusChanged>(e));
    }

    [Fact]
    public void Manufacturing_intelligence_quality_measurement_recorded()
    {
        var e = ReadEvent(Example("ManufacturingIntelligence/quality.measurement.recorded.json"));
        // metadata.userId and metadata.tenantId map; metadata.line has no attribute and is dropped.
        Assert.Equal(new CloudEvent
        {
            Id = "evt-8a71be03", Type = "quality.measurement.recorded", Source = "quality-service",
            Time = At("2025-09-30T07:13:02.500Z"), CorrelationId = "corr-eq-0001", Priority = EventPriority.Normal,
            UserId = "operator-7", TenantId = "plant-a", Data = e.Data,
        }, e);
        Assert.Equal(new QualityMeasurementRecorded
        {
            EquipmentId = "equip-123", Parameter = "dimension", Value = 10.5m, Timestamp = At("2025-09-30T07:13:02.480Z"),
            IsWithinSpec = true, LowerLimit = 10.0m, UpperLimit = 11.0m,
        }, Payload<QualityMeasurementRecorded>(e));
    }

    [Fact]
    public void Shared_events_envelope_maps_every_metadata_field()
    {
        var e = ReadEvent(Example("SharedEvents/user.registered.json"));
        Assert.Equal(new CloudEvent
        {
            Id = "9d2f6b1a-3c4e-4f5a-8b7c-6d5e4f3a2b1c", Type = "user.registered", Source = "my-service",
            Time = DateTimeOffset.FromUnixTimeMilliseconds(1705312200000), DataVersion = "1.0.0",
            CorrelationId = "req-123", CausationId = "cmd-register-123", UserId = "user-123", SessionId = "sess-456",
            TenantId = "tenant-123", DataClassification = DataClassification.Confidential, PartitionKey = "user-123",
            Data = e.Data,
        }, e);
        Assert.Equal(At("2024-01-15T09:50:00Z"), e.Time);
        Assert.Equal("test@example.com", e.Data!.Value.GetProperty("email").GetString());
    }

    [Fact]
    public void Seed_004_example_types_are_placeholders_and_not_in_the_catalog()
    {
        // Decision: user.registered, payment.processed and order.completed illustrate "my-service" of
        // another product; no flow of ours publishes or consumes them.
        var error = PayloadError(ReadEvent(Example("SharedEvents/user.registered.json")));
        Assert.Equal(new EventError(EventErrorCode.UnknownType, "Event type 'user.registered' is not in the catalog.", "$.type"), error);
    }

    [Fact]
    public void Shared_events_envelope_carries_platform_events_too()
    {
        var e = ReadEvent(Utf8("""
            {"metadata":{"eventId":"se-1","eventType":"stock.low","eventVersion":"2","correlationId":"c-1",
                         "timestamp":1705309200000,"source":"inventory-service","tenantId":"tenant-123"},
             "data":{"productId":"p-1","productName":"Bolt","sku":"SKU-1","warehouseId":"w-1","warehouseName":"Main",
                     "currentQuantity":5,"minimumThreshold":10,"reorderLevel":20}}
            """));
        Assert.Equal(("stock.low", "2", At("2024-01-15T09:00:00Z")), (e.Type, e.DataVersion, e.Time));
        Assert.Equal(20m, Payload<Payloads.Collector.StockLow>(e).ReorderLevel);
    }

    [Fact]
    public void Every_seed_example_survives_a_structured_round_trip()
    {
        foreach (var file in Directory.EnumerateFiles(ExamplesDirectory, "*.json", SearchOption.AllDirectories))
        {
            var original = ReadEvent(File.ReadAllBytes(file));
            var again = ReadEvent(new InboundMessage(original.ToJsonBytes(), ContentType: CloudEvent.JsonContentType));
            Assert.Equal(original, again);
            Assert.True(JsonElement.DeepEquals(original.Data!.Value, again.Data!.Value), file);
        }
    }
}
