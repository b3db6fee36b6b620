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

    [Fact]
    public void Mes_work_order_completed_from_seed_000_reads_with_its_meta()
    {
        // Seed 000's consumer test: createEventMetadata('test-service', 'test-user') around the work order data.
        var e = Read("""
            {
              "type": "work-order.completed",
              "meta": { "eventId": "5f0c8a8e-1111-4a53-9a43-0d6a4f1f1a01", "source": "test-service", "userId": "test-user",
                        "correlationId": "corr-wo-123", "timestamp": "2025-10-19T08:00:00.000Z" },
              "data": { "workOrderId": "wo-123", "workOrderNumber": "WO-2025-0001", "quantityCompleted": 100, "quantityRejected": 2,
                        "completedAt": "2025-10-19T07:59:00.000Z", "completedBy": "test-user" }
            }
            """, key: "wo-123");

        Assert.Equal(("5f0c8a8e-1111-4a53-9a43-0d6a4f1f1a01", "work-order.completed", "test-service"), (e.Id, e.Type, e.Source));
        Assert.Equal(("test-user", "corr-wo-123", "wo-123"), (e.UserId, e.CorrelationId, e.PartitionKey));
        Assert.Equal(new DateTimeOffset(2025, 10, 19, 8, 0, 0, TimeSpan.Zero), e.Time);
        var completed = EventCatalog.ReadPayload<WorkOrderCompleted>(e);
        Assert.Equal((100m, 2m), (completed.QuantityCompleted, completed.QuantityRejected));
    }

    [Fact]
    public void Part_updated_of_seed_001_reads_changes_and_previous_values()
    {
        var e = Read("""
            {
              "type": "material.part.updated",
              "meta": { "eventId": "evt-part-1", "source": "material-service", "userId": "user-123", "timestamp": "2025-10-18T09:00:00Z" },
              "data": { "partId": "P-12345", "partNumber": "P-99999", "partName": "Landing Gear Strut",
                        "changes": { "partNumber": "P-99999" }, "previousValues": { "partNumber": "P-12345" } }
            }
            """);

        var part = EventCatalog.ReadPayload<MaterialPartUpdated>(e);
        Assert.Equal(("P-12345", "P-99999", "Landing Gear Strut"), (part.PartId, part.PartNumber, part.PartName));
        Assert.Equal("P-99999", part.Changes.PartNumber);
        Assert.Equal("P-12345", part.PreviousValues!.PartNumber);
    }

    [Fact]
    public void Intelligence_events_of_seed_002_read_payload_priority_and_metadata()
    {
        var status = Read("""
            { "id": "evt-eq-1", "type": "equipment.status.changed", "source": "equipment-service", "timestamp": "2025-01-10T12:00:00Z",
              "payload": { "equipmentId": "equip-123", "newStatus": "maintenance", "oldStatus": "operational" },
              "correlationId": "corr-eq", "priority": "HIGH", "status": "PUBLISHED", "metadata": { "tenantId": "plant-7", "userId": "op-1" } }
            """);
        var measurement = Read("""
            { "id": "evt-m-1", "type": "quality.measurement.recorded", "source": "quality-service", "timestamp": "2025-01-10T12:00:01Z",
              "payload": { "equipmentId": "equip-123", "parameter": "dimension", "value": 10.5, "timestamp": "2025-01-10T12:00:00Z",
                           "isWithinSpec": true, "lowerLimit": 10.0, "upperLimit": 11.0 },
              "priority": "NORMAL", "status": "CREATED" }
            """);

        Assert.Equal((EventPriority.High, "plant-7", "op-1", "corr-eq"), (status.Priority, status.TenantId, status.UserId, status.CorrelationId));
        Assert.Equal("maintenance", EventCatalog.ReadPayload<EquipmentStatusChanged>(status).NewStatus);
        var m = EventCatalog.ReadPayload<QualityMeasurementRecorded>(measurement);
        Assert.Equal((10.5m, 10.0m, 11.0m, true), (m.Value, m.LowerLimit, m.UpperLimit, m.IsWithinSpec));
        Assert.Equal(EventPriority.Normal, measurement.Priority);
    }

    [Fact]
    public void Shared_events_envelope_of_seed_004_maps_every_metadata_field()
    {
        var e = Read("""
            { "metadata": { "eventId": "0b6f3a52-7c1e-4d0e-9d55-000000000001", "eventType": "quality.check.failed", "eventVersion": "1.0.0",
                            "correlationId": "req-42", "causationId": "evt-m-1", "timestamp": 1736510400000, "source": "my-service",
                            "userId": "user-123", "sessionId": "sess-9", "tenantId": "tenant-123", "dataClassification": "confidential",
                            "partition": "equip-123", "context": { "region": "eu" } },
              "data": { "equipmentId": "equip-123", "parameter": "dimension", "value": 11.5, "lowerLimit": 10.0, "upperLimit": 11.0,
                        "measuredAt": "2025-01-10T12:00:00Z", "reason": "above upper limit 11.0" } }
            """);

        Assert.Equal(("0b6f3a52-7c1e-4d0e-9d55-000000000001", "quality.check.failed", "my-service", "1.0.0"), (e.Id, e.Type, e.Source, e.DataVersion));
        Assert.Equal(("req-42", "evt-m-1", "user-123", "sess-9", "tenant-123"), (e.CorrelationId, e.CausationId, e.UserId, e.SessionId, e.TenantId));
        Assert.Equal((DataClassification.Confidential, "equip-123"), (e.DataClassification, e.PartitionKey));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1736510400000), e.Time);
        Assert.Equal(11.5m, EventCatalog.ReadPayload<QualityCheckFailed>(e).Value);
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
