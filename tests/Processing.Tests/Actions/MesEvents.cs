using System.Text.Json.Nodes;

namespace EventProcessors.Processing.Tests.Actions;

/// <summary>MES events as the MES sends them (seed 000: <c>{type, meta, data}</c>) and intelligence events (seed 002).</summary>
internal static class MesEvents
{
    public static string Mes(string type, string tenant, JsonNode data, string eventId, string timestamp = "2025-10-19T08:00:00.000Z") =>
        new JsonObject
        {
            ["type"] = type,
            ["meta"] = new JsonObject
            {
                ["eventId"] = eventId, ["source"] = "mes", ["userId"] = "user-1", ["correlationId"] = "corr-1",
                ["timestamp"] = timestamp, ["tenantId"] = tenant,
            },
            ["data"] = data.DeepClone(),
        }.ToJsonString();

    public static string Intelligence(string type, string tenant, JsonNode payload, string eventId, string timestamp = "2025-01-10T12:00:00Z") =>
        new JsonObject
        {
            ["id"] = eventId, ["type"] = type, ["source"] = "equipment-service", ["timestamp"] = timestamp,
            ["payload"] = payload.DeepClone(), ["priority"] = "NORMAL", ["status"] = "PUBLISHED",
            ["metadata"] = new JsonObject { ["tenantId"] = tenant },
        }.ToJsonString();

    public static JsonObject Json(string json) => JsonNode.Parse(json)!.AsObject();
}
