using System.Text.Json.Nodes;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.FunctionApp.Tests;

/// <summary>
/// functions.metadata, as the Worker SDK's source generator wrote it at build time: what the Functions host indexes.
/// Every action of flows.md is there with its trigger, its outputs and (Kafka only) its retry policy.
/// </summary>
public sealed class FunctionsMetadataTests
{
    private static readonly Dictionary<string, JsonObject> Metadata = JsonNode.Parse(
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")))!.AsArray()
        .Select(f => f!.AsObject())
        .ToDictionary(f => (string)f["name"]!);

    [Fact]
    public void Every_consumer_action_and_the_two_operations_are_indexed_by_the_host_and_nothing_else()
    {
        Assert.Equal(
            Consumers.All.Select(c => c.Name).Append("RouteOutbox").Append("SweepIdempotencyRecords").Concat(AuditFunctionTests.Names).Order(StringComparer.Ordinal),
            Metadata.Keys.Order(StringComparer.Ordinal));
        Assert.All(Metadata.Values, f => Assert.Equal(("dotnet-isolated", "EventProcessors.FunctionApp.dll"), ((string?)f["language"], (string?)f["scriptFile"])));
    }

    [Fact]
    public void Each_action_binds_its_trigger_its_follow_on_and_dead_letter_outputs_and_exactly_the_tables_it_writes()
    {
        foreach (var consumer in Consumers.All)
        {
            var function = Metadata[consumer.Name];
            var bindings = function["bindings"]!.AsArray().Select(b => b!.AsObject()).ToArray();
            var trigger = Assert.Single(bindings, b => (string?)b["direction"] == "In");
            var outputs = bindings.Where(b => (string?)b["direction"] == "Out").ToDictionary(b => (string)b["name"]!);
            if (consumer.Bus == EventBus.Collector)
            {
                Assert.Equal(("rabbitMQTrigger", consumer.Queue, "RabbitMQConnection"),
                    ((string?)trigger["type"], (string?)trigger["queueName"], (string?)trigger["connectionStringSetting"]));
                Assert.Null(function["retry"]);
                Assert.DoesNotContain(outputs.Values, o => (string?)o["type"] == "rabbitMQ");
            }
            else
            {
                Assert.Equal(("kafkaTrigger", "KafkaBrokers", "mes-events", consumer.Queue, "One"),
                    ((string?)trigger["type"], (string?)trigger["brokerList"], (string?)trigger["topic"], (string?)trigger["consumerGroup"], (string?)trigger["cardinality"]));
                var retry = function["retry"]!;
                Assert.Equal(("exponentialBackoff", 8, "00:00:02", "00:01:00"),
                    ((string?)retry["strategy"], (int)retry["maxRetryCount"]!, (string?)retry["minimumInterval"], (string?)retry["maximumInterval"]));
                Assert.Equal(("kafka", "mes-events"), ((string?)outputs["Events"]["type"], (string?)outputs["Events"]["topic"]));
                Assert.Equal(("kafka", "mes-events.dead-letter"), ((string?)outputs["DeadLetter"]["type"], (string?)outputs["DeadLetter"]["topic"]));
            }
            var tables = outputs.Values.Where(o => (string?)o["type"] == "sql").ToArray();
            Assert.All(tables, t => Assert.Equal("SqlConnectionString", (string?)t["connectionStringSetting"]));
            Assert.Equal(consumer.Writes.Select(t => "dbo." + SqlTableAttribute.NameOf(t)).Order(StringComparer.Ordinal),
                tables.Select(t => (string)t["commandText"]!).Order(StringComparer.Ordinal));
            Assert.Equal((consumer.Bus == EventBus.Mes ? 2 : 0) + tables.Length, outputs.Count);
        }
    }

    /// <summary>
    /// What the real packages make the SDK write (functions-api.md, verified by a real-mode build): every Kafka trigger
    /// binding with <c>supportsDeferredBinding</c> (the real KafkaRecordConverter's attributes), every other binding with
    /// empty properties, and the Kafka security members on every Kafka trigger and output.
    /// </summary>
    [Fact]
    public void Binding_properties_and_Kafka_security_are_what_the_real_extensions_produce()
    {
        var bindings = Metadata.Values.SelectMany(f => f["bindings"]!.AsArray().Select(b => b!.AsObject())).ToArray();
        var kafkaTriggers = bindings.Where(b => (string?)b["type"] == "kafkaTrigger").ToArray();
        Assert.Equal(8 + 2, kafkaTriggers.Length); // the eight MES actions and the two MES audit functions
        Assert.All(kafkaTriggers, b => Assert.Equal("""{"supportsDeferredBinding":"True"}""", b["properties"]!.ToJsonString()));
        Assert.All(bindings.Where(b => (string?)b["type"] != "kafkaTrigger"),
            b => Assert.Equal("{}", b["properties"]!.ToJsonString()));
        var kafka = bindings.Where(b => ((string)b["type"]!).StartsWith("kafka", StringComparison.Ordinal)).ToArray();
        // Each MES action also has its follow-on and dead-letter outputs; AuditMesEvents its dead-letter output.
        Assert.Equal(8 * 3 + 2 + 1, kafka.Length);
        Assert.Contains(Metadata["AuditMesEvents"]["bindings"]!.AsArray(),
            b => (string?)b!["type"] == "kafka" && (string?)b["direction"] == "Out" && (string?)b["topic"] == "mes-events.dead-letter");
        Assert.All(kafka, b => Assert.Equal(("SaslSsl", "Plain", "KafkaUsername", "KafkaPassword", "KafkaSslCaLocation"),
            ((string?)b["protocol"], (string?)b["authenticationMode"], (string?)b["username"], (string?)b["password"], (string?)b["sslCaLocation"])));
        Assert.All(kafkaTriggers, b => Assert.Equal(
            ["name", "direction", "type", "brokerList", "topic", "consumerGroup", "protocol", "authenticationMode", "username", "password", "sslCaLocation", "cardinality", "properties"],
            b.Select(p => p.Key)));
    }

    [Fact]
    public void RouteOutbox_reads_the_outbox_queue_and_the_sweep_runs_hourly_both_without_outputs()
    {
        var route = Assert.Single(Metadata["RouteOutbox"]["bindings"]!.AsArray())!;
        Assert.Equal(("rabbitMQTrigger", "collector-events.outbox", "RabbitMQConnection"),
            ((string?)route["type"], (string?)route["queueName"], (string?)route["connectionStringSetting"]));
        var sweep = Assert.Single(Metadata["SweepIdempotencyRecords"]["bindings"]!.AsArray())!;
        Assert.Equal(("timerTrigger", "0 0 * * * *"), ((string?)sweep["type"], (string?)sweep["schedule"]));
    }
}
