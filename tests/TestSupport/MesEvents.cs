using System.Text.Json.Nodes;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.TestSupport;

/// <summary>
/// MES events as the MES services publish them (seed 000: <c>{ type, meta: { eventId, source, userId, correlationId,
/// timestamp }, data }</c>, with the tenant in meta), and manufacturing-intelligence events as that platform publishes
/// them (seed 002: <c>{ id, type, source, timestamp, payload, ... }</c>), with the seeds' values.
/// </summary>
public static class MesEvents
{
    public const string WorkOrderId = "wo-123";
    public const string WorkOrderNumber = "WO-2025-0001";
    public const string PartId = "P-12345";
    public const string PartNumber = "P-12345";

    public static string MesEnvelope(string type, string tenant, JsonNode data, string eventId, string timestamp = "2025-10-19T10:00:00.000Z", string source = "mes-service") =>
        new JsonObject
        {
            ["type"] = type,
            ["meta"] = new JsonObject
            {
                ["eventId"] = eventId,
                ["source"] = source,
                ["userId"] = "user-123",
                ["correlationId"] = "corr-mes",
                ["timestamp"] = timestamp,
                ["tenantId"] = tenant,
            },
            ["data"] = data.DeepClone(),
        }.ToJsonString();

    public static string IntelligenceEnvelope(string type, string tenant, JsonNode payload, string id, string timestamp = "2025-10-19T10:00:00.000Z") =>
        new JsonObject
        {
            ["id"] = id,
            ["type"] = type,
            ["source"] = "equipment-service",
            ["timestamp"] = timestamp,
            ["payload"] = payload.DeepClone(),
            ["correlationId"] = "corr-mi",
            ["priority"] = "NORMAL",
            ["status"] = "PUBLISHED",
            ["metadata"] = new JsonObject { ["tenantId"] = tenant },
        }.ToJsonString();

    public static JsonObject WorkOrderCreated(string workOrderId = WorkOrderId, string workOrderNumber = WorkOrderNumber, string partId = PartId,
        string partNumber = PartNumber, string quantity = "100") => Parse($$"""
        {
          "workOrderId": "{{workOrderId}}",
          "workOrderNumber": "{{workOrderNumber}}",
          "partId": "{{partId}}",
          "partNumber": "{{partNumber}}",
          "quantity": {{quantity}},
          "dueDate": "2025-11-01T00:00:00.000Z",
          "priority": "HIGH",
          "createdBy": "planner-1"
        }
        """);

    /// <summary>Seed 000's completion (wo-123, 100 completed, 2 rejected) with the optional part, produced lot and consumed lot.</summary>
    public static JsonObject WorkOrderCompleted(string workOrderId = WorkOrderId, string workOrderNumber = WorkOrderNumber, string completed = "100",
        string rejected = "2", string? producedLot = "LOT-FG-001", string? consumedLot = "LOT-RAW-001", string? partId = PartId)
    {
        var data = Parse($$"""
            {
              "workOrderId": "{{workOrderId}}",
              "workOrderNumber": "{{workOrderNumber}}",
              "quantityCompleted": {{completed}},
              "quantityRejected": {{rejected}},
              "completedAt": "2025-10-19T16:00:00.000Z",
              "completedBy": "operator-7"
            }
            """);
        if (partId is not null)
        {
            data["partId"] = partId;
            data["partNumber"] = PartNumber;
        }
        if (producedLot is not null) data["producedLotNumber"] = producedLot;
        if (consumedLot is not null)
            data["consumedLots"] = new JsonArray(new JsonObject { ["lotNumber"] = consumedLot, ["partId"] = "raw-7", ["partNumber"] = "RM-7", ["quantity"] = 20 });
        return data;
    }

    /// <summary>Seed 000's inspection completion: inspected = accepted + rejected, ncrGenerated when FAIL.</summary>
    public static JsonObject InspectionCompleted(string result = "FAIL", string inspected = "98", string accepted = "95", string rejected = "3",
        string inspectionId = "insp-1", string inspectionNumber = "INS-2025-0001") => Parse($$"""
        {
          "inspectionId": "{{inspectionId}}",
          "inspectionNumber": "{{inspectionNumber}}",
          "workOrderId": "{{WorkOrderId}}",
          "result": "{{result}}",
          "quantityInspected": {{inspected}},
          "quantityAccepted": {{accepted}},
          "quantityRejected": {{rejected}},
          "ncrGenerated": {{(result == "FAIL" ? "true" : "false")}},
          "inspectedBy": "qa-2",
          "inspectionDate": "2025-10-20T09:00:00.000Z",
          "partId": "{{PartId}}",
          "lotNumber": "LOT-FG-001"
        }
        """);

    public static JsonObject MaterialReceived(string lot = "LOT-RAW-001", string quantity = "50") => Parse($$"""
        {
          "lotNumber": "{{lot}}",
          "partId": "raw-7",
          "partNumber": "RM-7",
          "quantity": {{quantity}},
          "supplierId": "sup-1",
          "receivedAt": "2025-10-18T08:00:00.000Z",
          "receivedBy": "receiving-1"
        }
        """);

    public static JsonObject MaterialIssued(string workOrderId = WorkOrderId, string lot = "LOT-RAW-001", string quantity = "20", params string[] serials)
    {
        var data = Parse($$"""
            {
              "workOrderId": "{{workOrderId}}",
              "lotNumber": "{{lot}}",
              "partId": "raw-7",
              "partNumber": "RM-7",
              "quantity": {{quantity}},
              "issuedAt": "2025-10-19T08:00:00.000Z",
              "issuedBy": "operator-7"
            }
            """);
        if (serials.Length > 0) data["serialNumbers"] = new JsonArray([.. serials.Select(s => (JsonNode)JsonValue.Create(s))]);
        return data;
    }

    /// <summary>Seed 001's part update: P-12345 renamed.</summary>
    public static JsonObject PartUpdated(string partName = "Landing Gear Strut, Mk II", string partNumber = PartNumber, string partId = PartId, string? revision = "D") =>
        new()
        {
            ["partId"] = partId,
            ["partNumber"] = partNumber,
            ["partName"] = partName,
            ["revision"] = revision,
            ["changes"] = new JsonObject { ["partName"] = partName },
            ["previousValues"] = new JsonObject { ["partName"] = "Landing Gear Strut" },
        };

    /// <summary>Seed 002's measurement: dimension 10.5 within 10.0 to 11.0.</summary>
    public static JsonObject Measurement(string value = "10.5", string lower = "10.0", string upper = "11.0", bool withinSpec = true) => Parse($$"""
        {
          "equipmentId": "equip-123",
          "parameter": "dimension",
          "value": {{value}},
          "timestamp": "2025-10-19T10:00:00.000Z",
          "isWithinSpec": {{(withinSpec ? "true" : "false")}},
          "lowerLimit": {{lower}},
          "upperLimit": {{upper}}
        }
        """);

    /// <summary>Seed 002's status change: equip-123 from operational to maintenance.</summary>
    public static JsonObject StatusChanged(string newStatus = "maintenance", string oldStatus = "operational", string equipmentId = "equip-123") => new()
    {
        ["equipmentId"] = equipmentId,
        ["newStatus"] = newStatus,
        ["oldStatus"] = oldStatus,
    };

    /// <summary>
    /// Delivers until the pipeline stops asking for a retry, as the transport redelivers: under heavy contention a
    /// state update may give up after its conflict retries and ask for another delivery.
    /// </summary>
    public static async Task<ProcessingResult> UntilSettled(Func<Task<ProcessingResult>> deliver)
    {
        for (var attempt = 1; ; attempt++)
        {
            var result = await deliver();
            if (result.Status != ProcessingStatus.Retry || attempt == 20) return result;
        }
    }

    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();
}
