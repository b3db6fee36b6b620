using System.Text.Json;
using System.Text.Json.Nodes;

namespace EventProcessors.LocalHost.Transport;

/// <summary>
/// The topology as a RabbitMQ definitions file (the format of <c>rabbitmqctl import_definitions</c> and the
/// <c>load_definitions</c> setting): exchanges, queues with their arguments, bindings. No users or permissions:
/// those belong to the deployment. <c>infra/rabbitmq/definitions.json</c> is this file for vhost <c>/</c>.
/// </summary>
public static class RabbitMqDefinitions
{
    public static string Export(TopologyDefinition topology, string vhost = "/")
    {
        var root = new JsonObject
        {
            ["vhosts"] = new JsonArray(new JsonObject { ["name"] = vhost }),
            ["exchanges"] = new JsonArray(topology.Exchanges.OrderBy(e => e.Name, StringComparer.Ordinal).Select(e => (JsonNode)new JsonObject
            {
                ["name"] = e.Name,
                ["vhost"] = vhost,
                ["type"] = e.Type,
                ["durable"] = e.Durable,
                ["auto_delete"] = false,
                ["internal"] = false,
                ["arguments"] = new JsonObject(),
            }).ToArray()),
            ["queues"] = new JsonArray(topology.Queues.OrderBy(q => q.Name, StringComparer.Ordinal).Select(q => (JsonNode)new JsonObject
            {
                ["name"] = q.Name,
                ["vhost"] = vhost,
                ["durable"] = q.Durable,
                ["auto_delete"] = false,
                ["arguments"] = Arguments(q.Arguments),
            }).ToArray()),
            ["bindings"] = new JsonArray(topology.Bindings
                .OrderBy(b => b.Exchange, StringComparer.Ordinal).ThenBy(b => b.Queue, StringComparer.Ordinal).ThenBy(b => b.RoutingKey, StringComparer.Ordinal)
                .Select(b => (JsonNode)new JsonObject
                {
                    ["source"] = b.Exchange,
                    ["vhost"] = vhost,
                    ["destination"] = b.Queue,
                    ["destination_type"] = "queue",
                    ["routing_key"] = b.RoutingKey,
                    ["arguments"] = new JsonObject(),
                }).ToArray()),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static JsonObject Arguments(IReadOnlyDictionary<string, object> arguments)
    {
        var result = new JsonObject();
        foreach (var (key, value) in arguments.OrderBy(a => a.Key, StringComparer.Ordinal))
            result[key] = value switch
            {
                int i => JsonValue.Create(i),
                long l => JsonValue.Create(l),
                bool b => JsonValue.Create(b),
                _ => JsonValue.Create(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)),
            };
        return result;
    }
}
