using System.Globalization;
using System.Text;
using System.Text.Json;
using EventProcessors.Contracts.Payloads.ManufacturingIntelligence;
using EventProcessors.Contracts.Payloads.Mes;

namespace EventProcessors.Contracts.Tests;

/// <summary>The MES, manufacturing-intelligence, shared-events and CloudEvents shapes, and their examples in the seeds.</summary>
public sealed class EnvelopeShapeTests
{
    private static readonly EnvelopeReader Reader = new();

    private static CloudEvent Read(string json, IReadOnlyDictionary<string, string>? headers = null, string? key = null, string? contentType = null)
    {
        var result = Reader.Read(new InboundMessage(Encoding.UTF8.GetBytes(json), headers, contentType, Key: key));
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture);

    /// <summary>The data the reader kept must be the member <paramref name="name"/> of the body, unchanged.</summary>
    private static void AssertDataIs(string json, string name, CloudEvent e) =>
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(json).RootElement.GetProperty(name), e.Data!.Value), $"data differs from the body's '{name}'");

    // ---- MES, seed 000: publisher.publish({ type, meta: createEventMetadata(source, userId, correlationId?), data }) ----

    [Fact]
    public void Mes_work_order_created_of_the_publishing_pattern()
    {
        // Seed 000 "Basic Pattern" and "Event Correlation": createEventMetadata('work-order-service', data.createdBy, correlationId).
        const string json = """
            { "type": "work-order.created",
              "meta": { "eventId": "0f8e3c2a-5b1d-4e7f-9a6c-2d4b8e1f3a70", "source": "work-order-service", "userId": "user-42",
                        "correlationId": "req-7f3a91", "timestamp": "2025-10-19T08:15:00.000Z" },
              "data": { "workOrderId": "wo-123", "workOrderNumber": "WO-2025-0001", "partId": "P-12345", "partNumber": "P-12345",
                        "quantity": 100, "dueDate": "2025-11-01T00:00:00.000Z", "priority": "HIGH", "createdBy": "user-42" } }
            """;
        var e = Read(json);

        Assert.Equal(new CloudEvent
        {
            Id = "0f8e3c2a-5b1d-4e7f-9a6c-2d4b8e1f3a70", Type = "work-order.created", Source = "work-order-service",
            Time = At("2025-10-19T08:15:00.000Z"), UserId = "user-42", CorrelationId = "req-7f3a91", Data = e.Data,
        }, e);
        AssertDataIs(json, "data", e);
        var p = EventCatalog.ReadPayload<WorkOrderCreated>(e);
        Assert.Equal(new WorkOrderCreated
        {
            WorkOrderId = "wo-123", WorkOrderNumber = "WO-2025-0001", PartId = "P-12345", PartNumber = "P-12345", Quantity = 100m,
            DueDate = At("2025-11-01T00:00:00.000Z"), Priority = "HIGH", CreatedBy = "user-42",
        }, p);
        Assert.Null(p.Materials);
    }

    [Fact]
    public void Mes_work_order_completed_of_the_work_order_service()
    {
        // Seed 000 WorkOrderService.completeWorkOrder: createEventMetadata('work-order-service', data.completedBy), no correlation id.
        const string json = """
            { "type": "work-order.completed",
              "meta": { "eventId": "7c1d9e4b-2f6a-4b3c-8d5e-9a0b1c2d3e4f", "source": "work-order-service", "userId": "user-42",
                        "timestamp": "2025-10-20T16:30:00.000Z" },
              "data": { "workOrderId": "wo-123", "workOrderNumber": "WO-2025-0001", "quantityCompleted": 98, "quantityRejected": 2,
                        "completedAt": "2025-10-20T16:29:58.000Z", "completedBy": "user-42" } }
            """;
        var e = Read(json);

        Assert.Equal(new CloudEvent
        {
            Id = "7c1d9e4b-2f6a-4b3c-8d5e-9a0b1c2d3e4f", Type = "work-order.completed", Source = "work-order-service",
            Time = At("2025-10-20T16:30:00.000Z"), UserId = "user-42", Data = e.Data,
        }, e);
        AssertDataIs(json, "data", e);
        Assert.Equal(new WorkOrderCompleted
        {
            WorkOrderId = "wo-123", WorkOrderNumber = "WO-2025-0001", QuantityCompleted = 98m, QuantityRejected = 2m,
            CompletedAt = At("2025-10-20T16:29:58.000Z"), CompletedBy = "user-42",
        }, EventCatalog.ReadPayload<WorkOrderCompleted>(e));
    }

    [Fact]
    public void Mes_work_order_completed_of_the_consumer_test_with_its_kafka_key()
    {
        // Seed 000's consumer test: createEventMetadata('test-service', 'test-user') around wo-123 and 100 completed.
        const string json = """
            {
              "type": "work-order.completed",
              "meta": { "eventId": "5f0c8a8e-1111-4a53-9a43-0d6a4f1f1a01", "source": "test-service", "userId": "test-user",
                        "correlationId": "corr-wo-123", "timestamp": "2025-10-19T08:00:00.000Z" },
              "data": { "workOrderId": "wo-123", "workOrderNumber": "WO-2025-0001", "quantityCompleted": 100, "quantityRejected": 2,
                        "completedAt": "2025-10-19T07:59:00.000Z", "completedBy": "test-user" }
            }
            """;
        var e = Read(json, key: "wo-123");

        Assert.Equal(new CloudEvent
        {
            Id = "5f0c8a8e-1111-4a53-9a43-0d6a4f1f1a01", Type = "work-order.completed", Source = "test-service",
            Time = At("2025-10-19T08:00:00.000Z"), UserId = "test-user", CorrelationId = "corr-wo-123", PartitionKey = "wo-123", Data = e.Data,
        }, e);
        Assert.Equal(new WorkOrderCompleted
        {
            WorkOrderId = "wo-123", WorkOrderNumber = "WO-2025-0001", QuantityCompleted = 100m, QuantityRejected = 2m,
            CompletedAt = At("2025-10-19T07:59:00.000Z"), CompletedBy = "test-user",
        }, EventCatalog.ReadPayload<WorkOrderCompleted>(e));
    }

    [Fact]
    public void Mes_quality_inspection_completed_of_the_inspection_service()
    {
        // Seed 000 InspectionService.completeInspection: createEventMetadata('quality-service', data.inspectedBy);
        // quantityInspected = accepted + rejected, ncrGenerated = (result === 'FAIL').
        const string json = """
            { "type": "quality.inspection.completed",
              "meta": { "eventId": "b2c4d6e8-0a1b-4c3d-9e5f-7a8b9c0d1e2f", "source": "quality-service", "userId": "inspector-7",
                        "timestamp": "2025-10-21T09:00:00.000Z" },
              "data": { "inspectionId": "insp-456", "inspectionNumber": "INSP-2025-0042", "workOrderId": "wo-123", "result": "FAIL",
                        "quantityInspected": 98, "quantityAccepted": 95, "quantityRejected": 3, "ncrGenerated": true,
                        "inspectedBy": "inspector-7", "inspectionDate": "2025-10-21T08:59:30.000Z" } }
            """;
        var e = Read(json);

        Assert.Equal(new CloudEvent
        {
            Id = "b2c4d6e8-0a1b-4c3d-9e5f-7a8b9c0d1e2f", Type = "quality.inspection.completed", Source = "quality-service",
            Time = At("2025-10-21T09:00:00.000Z"), UserId = "inspector-7", Data = e.Data,
        }, e);
        AssertDataIs(json, "data", e);
        Assert.Equal(new QualityInspectionCompleted
        {
            InspectionId = "insp-456", InspectionNumber = "INSP-2025-0042", WorkOrderId = "wo-123", Result = InspectionResult.Fail,
            QuantityInspected = 98m, QuantityAccepted = 95m, QuantityRejected = 3m, NcrGenerated = true, InspectedBy = "inspector-7",
            InspectionDate = At("2025-10-21T08:59:30.000Z"),
        }, EventCatalog.ReadPayload<QualityInspectionCompleted>(e));
    }

    // ---- MES, seed 001: createDomainEvent(type, source, payload, { entityId, entityType, metadata }) ----------------

    [Fact]
    public void Part_updated_of_seed_001_reads_changes_and_previous_values_and_the_entity_key()
    {
        // "Automatic partitioning by entity ID": the Kafka key is the entityId, P-12345; metadata.userId is user-123.
        const string json = """
            {
              "type": "material.part.updated",
              "meta": { "eventId": "evt-part-1", "source": "material-service", "userId": "user-123", "timestamp": "2025-10-18T09:00:00Z" },
              "data": { "partId": "P-12345", "partNumber": "P-99999", "partName": "Landing Gear Strut",
                        "changes": { "partNumber": "P-99999" }, "previousValues": { "partNumber": "P-12345" } }
            }
            """;
        var e = Read(json, key: "P-12345");

        Assert.Equal(new CloudEvent
        {
            Id = "evt-part-1", Type = "material.part.updated", Source = "material-service", Time = At("2025-10-18T09:00:00Z"),
            UserId = "user-123", PartitionKey = "P-12345", Data = e.Data,
        }, e);
        Assert.Equal(new MaterialPartUpdated
        {
            PartId = "P-12345", PartNumber = "P-99999", PartName = "Landing Gear Strut",
            Changes = new PartChanges { PartNumber = "P-99999" }, PreviousValues = new PartChanges { PartNumber = "P-12345" },
        }, EventCatalog.ReadPayload<MaterialPartUpdated>(e));
    }

    [Fact]
    public void Part_updated_of_seed_001_as_a_structured_cloud_event()
    {
        // Seed 001's publisher is "CloudEvents 1.0 compliant"; the entity id is the partition key.
        const string json = """
            { "specversion": "1.0", "id": "evt-part-2", "source": "material-service", "type": "material.part.updated",
              "time": "2025-10-18T09:00:00Z", "partitionkey": "P-12345", "userid": "user-123",
              "data": { "partId": "P-12345", "partNumber": "P-99999", "partName": "Landing Gear Strut", "changes": { "partNumber": "P-99999" } } }
            """;
        var e = Read(json, key: "other-key");

        Assert.Equal(new CloudEvent
        {
            Id = "evt-part-2", Type = "material.part.updated", Source = "material-service", Time = At("2025-10-18T09:00:00Z"),
            UserId = "user-123", PartitionKey = "P-12345", Data = e.Data,
        }, e);
        Assert.Equal(new MaterialPartUpdated
        {
            PartId = "P-12345", PartNumber = "P-99999", PartName = "Landing Gear Strut", Changes = new PartChanges { PartNumber = "P-99999" },
        }, EventCatalog.ReadPayload<MaterialPartUpdated>(e));
    }

    [Fact]
    public void Work_order_status_changed_of_seed_001()
    {
        // WorkOrderStatusChangedPayload: workOrderId, workOrderNumber, previousStatus, newStatus, changedAt, changedBy.
        const string json = """
            { "type": "work-order.status.changed",
              "meta": { "eventId": "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e", "source": "work-order-service", "userId": "user-123",
                        "timestamp": "2025-10-18T13:45:00.000Z" },
              "data": { "workOrderId": "wo-123", "workOrderNumber": "WO-2025-0001", "previousStatus": "RELEASED", "newStatus": "IN_PROGRESS",
                        "changedAt": "2025-10-18T13:45:00.000Z", "changedBy": "user-123" } }
            """;
        var e = Read(json, key: "wo-123");

        Assert.Equal(new CloudEvent
        {
            Id = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e", Type = "work-order.status.changed", Source = "work-order-service",
            Time = At("2025-10-18T13:45:00.000Z"), UserId = "user-123", PartitionKey = "wo-123", Data = e.Data,
        }, e);
        Assert.Equal(new WorkOrderStatusChanged
        {
            WorkOrderId = "wo-123", WorkOrderNumber = "WO-2025-0001", PreviousStatus = "RELEASED", NewStatus = "IN_PROGRESS",
            ChangedAt = At("2025-10-18T13:45:00.000Z"), ChangedBy = "user-123",
        }, EventCatalog.ReadPayload<WorkOrderStatusChanged>(e));
    }

    // ---- manufacturing intelligence, seed 002: { id, type, source, timestamp, payload, correlationId, priority, status, metadata } ----

    [Fact]
    public void Intelligence_equipment_status_changed_maps_priority_and_metadata_and_drops_status()
    {
        // The payload is seed 002's event-notification example; status (the bus's delivery state) has no CloudEvents attribute.
        const string json = """
            { "id": "evt-eq-1", "type": "equipment.status.changed", "source": "equipment-service", "timestamp": "2025-01-10T12:00:00Z",
              "payload": { "equipmentId": "equip-123", "newStatus": "maintenance", "oldStatus": "operational" },
              "correlationId": "corr-eq", "priority": "HIGH", "status": "PUBLISHED", "metadata": { "tenantId": "plant-7", "userId": "op-1", "line": "L2" } }
            """;
        var e = Read(json);

        Assert.Equal(new CloudEvent
        {
            Id = "evt-eq-1", Type = "equipment.status.changed", Source = "equipment-service", Time = At("2025-01-10T12:00:00Z"),
            CorrelationId = "corr-eq", Priority = EventPriority.High, TenantId = "plant-7", UserId = "op-1", Data = e.Data,
        }, e);
        AssertDataIs(json, "payload", e);
        Assert.DoesNotContain("PUBLISHED", Encoding.UTF8.GetString(e.ToJsonBytes()), StringComparison.Ordinal);
        Assert.Equal(new EquipmentStatusChanged { EquipmentId = "equip-123", NewStatus = "maintenance", OldStatus = "operational" },
            EventCatalog.ReadPayload<EquipmentStatusChanged>(e));
    }

    [Fact]
    public void Intelligence_quality_measurement_recorded_of_the_state_transfer_example()
    {
        // Seed 002's event-carried state transfer example: equip-123, dimension, 10.5 within 10.0..11.0; no metadata, no correlation.
        const string json = """
            { "id": "evt-m-1", "type": "quality.measurement.recorded", "source": "quality-service", "timestamp": "2025-01-10T12:00:01Z",
              "payload": { "equipmentId": "equip-123", "parameter": "dimension", "value": 10.5, "timestamp": "2025-01-10T12:00:00Z",
                           "isWithinSpec": true, "lowerLimit": 10.0, "upperLimit": 11.0 },
              "priority": "NORMAL", "status": "CREATED" }
            """;
        var e = Read(json);

        Assert.Equal(new CloudEvent
        {
            Id = "evt-m-1", Type = "quality.measurement.recorded", Source = "quality-service", Time = At("2025-01-10T12:00:01Z"),
            Priority = EventPriority.Normal, Data = e.Data,
        }, e);
        AssertDataIs(json, "payload", e);
        Assert.Equal(new QualityMeasurementRecorded
        {
            EquipmentId = "equip-123", Parameter = "dimension", Value = 10.5m, Timestamp = At("2025-01-10T12:00:00Z"),
            IsWithinSpec = true, LowerLimit = 10.0m, UpperLimit = 11.0m,
        }, EventCatalog.ReadPayload<QualityMeasurementRecorded>(e));
    }

    [Theory]
    [InlineData("LOW", EventPriority.Low)]
    [InlineData("NORMAL", EventPriority.Normal)]
    [InlineData("HIGH", EventPriority.High)]
    [InlineData("CRITICAL", EventPriority.Critical)]
    public void Intelligence_priorities_of_seed_002_map_to_the_priority_extension(string priority, EventPriority expected)
    {
        var e = Read($$"""
            { "id": "evt-eq-2", "type": "equipment.status.changed", "source": "equipment-service", "timestamp": "2025-01-10T12:00:00Z",
              "payload": { "equipmentId": "equip-123", "newStatus": "maintenance", "oldStatus": "operational" }, "priority": "{{priority}}" }
            """);
        Assert.Equal(expected, e.Priority);
    }

    // ---- shared-events guide, seed 004: { metadata: { eventId, eventType, ... }, data } --------------------------

    [Fact]
    public void Shared_events_envelope_of_seed_004_maps_every_metadata_field()
    {
        const string json = """
            { "metadata": { "eventId": "0b6f3a52-7c1e-4d0e-9d55-000000000001", "eventType": "quality.check.failed", "eventVersion": "1.0.0",
                            "correlationId": "req-42", "causationId": "evt-m-1", "timestamp": 1736510400000, "source": "my-service",
                            "userId": "user-123", "sessionId": "sess-9", "tenantId": "tenant-123", "dataClassification": "confidential",
                            "partition": "equip-123", "context": { "region": "eu" } },
              "data": { "equipmentId": "equip-123", "parameter": "dimension", "value": 11.5, "lowerLimit": 10.0, "upperLimit": 11.0,
                        "measuredAt": "2025-01-10T12:00:00Z", "reason": "above upper limit 11.0" } }
            """;
        var e = Read(json, key: "other-key");

        // context has no CloudEvents counterpart and is not carried; the envelope's partition wins over the Kafka key.
        Assert.Equal(new CloudEvent
        {
            Id = "0b6f3a52-7c1e-4d0e-9d55-000000000001", Type = "quality.check.failed", Source = "my-service", DataVersion = "1.0.0",
            Time = DateTimeOffset.FromUnixTimeMilliseconds(1736510400000), CorrelationId = "req-42", CausationId = "evt-m-1",
            UserId = "user-123", SessionId = "sess-9", TenantId = "tenant-123", DataClassification = DataClassification.Confidential,
            PartitionKey = "equip-123", Data = e.Data,
        }, e);
        Assert.Equal(At("2025-01-10T12:00:00Z"), e.Time);
        AssertDataIs(json, "data", e);
        Assert.Equal(new QualityCheckFailed
        {
            EquipmentId = "equip-123", Parameter = "dimension", Value = 11.5m, LowerLimit = 10.0m, UpperLimit = 11.0m,
            MeasuredAt = At("2025-01-10T12:00:00Z"), Reason = "above upper limit 11.0",
        }, EventCatalog.ReadPayload<QualityCheckFailed>(e));
    }

    [Fact]
    public void Seed_004_user_registered_example_reads_but_is_no_event_of_ours()
    {
        // Seed 004's own example: 'my-service' publishes user.registered for user-123 / test@example.com, partitioned by userId.
        // EventTypes leaves its placeholder types out on purpose, so the envelope reads and the catalog refuses the type.
        const string json = """
            { "metadata": { "eventId": "9d2f6b1a-3c4e-4f5a-8b7c-6d5e4f3a2b1c", "eventType": "user.registered", "eventVersion": "1.0.0",
                            "correlationId": "req-123", "timestamp": 1705312200000, "source": "my-service", "userId": "user-123",
                            "partition": "user-123" },
              "data": { "userId": "user-123", "email": "test@example.com", "registeredAt": 1705312200000 } }
            """;
        var e = Read(json);

        Assert.Equal(new CloudEvent
        {
            Id = "9d2f6b1a-3c4e-4f5a-8b7c-6d5e4f3a2b1c", Type = "user.registered", Source = "my-service", DataVersion = "1.0.0",
            Time = At("2024-01-15T09:50:00Z"), CorrelationId = "req-123", UserId = "user-123", PartitionKey = "user-123", Data = e.Data,
        }, e);
        AssertDataIs(json, "data", e);
        Assert.False(EventCatalog.TryReadPayload(e, out _, out var error));
        Assert.Equal(new EventError(EventErrorCode.UnknownType, "Unknown event type 'user.registered'.", "$.type"), error);
    }

    [Fact]
    public void Structured_cloud_event_round_trips()
    {
        var original = new CloudEvent
        {
            Id = "evt-1", Source = "/event-processors/inventory.reserve-stock", Type = "stock.reserved",
            Time = new DateTimeOffset(2026, 1, 15, 10, 0, 0, 123, TimeSpan.Zero),
            CorrelationId = "corr-123", CausationId = "cause-1", TenantId = "tenant-123", UserId = "u-1", SessionId = "s-1",
            DataClassification = DataClassification.Internal, PartitionKey = "order-1", Priority = EventPriority.Critical,
            DataVersion = "2", TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", TraceState = "congo=t61rcWkgMzE",
            Subject = "order-1", DataSchema = "https://example.test/stock-reserved.json",
            Data = JsonSerializer.SerializeToElement(new { orderId = "order-1", lines = new[] { new { productId = "p-1", quantity = 5m } } }),
        };

        var json = Encoding.UTF8.GetString(original.ToJsonBytes());
        var read = Read(json);

        Assert.Equal(json, Encoding.UTF8.GetString(read.ToJsonBytes()));
        Assert.Contains("\"correlationid\":\"corr-123\"", json, StringComparison.Ordinal);
        Assert.Contains("\"dataclassification\":\"internal\"", json, StringComparison.Ordinal);
        Assert.Contains("\"priority\":\"critical\"", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ce_")]
    [InlineData("cloudEvents_")]
    [InlineData("cloudEvents:")]
    public void Binary_mode_reads_attributes_from_headers_and_equals_structured_mode(string prefix)
    {
        var structured = Read("""
            { "specversion": "1.0", "id": "evt-9", "source": "orders-service", "type": "order.confirmed", "time": "2024-01-15T10:40:00Z",
              "correlationid": "corr-123", "tenantid": "tenant-123", "dataclassification": "confidential",
              "data": { "orderId": "o-1", "orderNumber": "ORD-1", "customerId": "c-1", "shippingAddressId": "a-1", "lineItems": [] } }
            """);
        var headers = new Dictionary<string, string>
        {
            [prefix + "specversion"] = "1.0", [prefix + "id"] = "evt-9", [prefix + "source"] = "orders-service",
            [prefix + "type"] = "order.confirmed", [prefix + "time"] = "2024-01-15T10:40:00Z", [prefix + "correlationid"] = "corr-123",
            [prefix + "tenantid"] = "tenant-123", [prefix + "dataclassification"] = "confidential",
        };

        var binary = Read(structured.Data!.Value.GetRawText(), headers, contentType: "application/json");

        Assert.Equal(Encoding.UTF8.GetString(structured.ToJsonBytes()), Encoding.UTF8.GetString(binary.ToJsonBytes()));
    }
}
