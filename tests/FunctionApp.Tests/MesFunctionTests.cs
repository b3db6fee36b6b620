using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.FunctionApp.Hosting;
using EventProcessors.FunctionApp.Quality;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static EventProcessors.FunctionApp.Tests.FunctionHost;

namespace EventProcessors.FunctionApp.Tests;

/// <summary>
/// MES functions (Kafka trigger, function-level retry) invoked directly. The runner is given a stand-in
/// action under the function's name, so these tests pin the Kafka mapping itself: record in, JSON form out,
/// retry and dead letter.
/// </summary>
public sealed class MesFunctionTests : IDisposable
{
    private const string WorkOrderId = "wo-1001";
    private readonly ServiceProvider _services = Services();
    private readonly StandInAction _action = new(Consumers.CreateInspection);

    public void Dispose() => _services.Dispose();

    private CreateInspectionFunction Function() => new(new FunctionRunner(
        _services.GetRequiredService<EventPipeline>(), [_action], _services.GetRequiredService<IConfirmedPublisher>(), TimeProvider.System,
        _services.GetRequiredService<IOptions<FunctionAppOptions>>(), NullLogger<FunctionRunner>.Instance));

    [Fact]
    public async Task A_structured_record_becomes_a_follow_on_in_the_Kafka_output_JSON_form_with_key_and_headers()
    {
        var output = await Function().RunAsync(Record(StructuredWorkOrderCompleted("evt-1")), Context());

        Assert.Null(output.DeadLetter);
        var message = Json(Assert.Single(output.Events!));
        Assert.Equal(["Offset", "Partition", "Topic", "Timestamp", "Value", "Key", "Headers"], message.Select(p => p.Key));
        Assert.Equal("mes-events", (string?)message["Topic"]);
        Assert.Equal(WorkOrderId, (string?)message["Key"]);
        Assert.True(DateTime.TryParse((string?)message["Timestamp"], out _));
        var header = Assert.Single(message["Headers"]!.AsArray())!;
        Assert.Equal("content-type", (string?)header["Key"]);
        Assert.Equal("application/cloudevents+json", (string?)header["Value"]);
        var followOn = JsonSerializer.Deserialize<CloudEvent>((string)message["Value"]!, ContractJson.Options)!;
        Assert.Equal(EventTypes.Mes.QualityInspectionCreated, followOn.Type);
        Assert.Equal("evt-1", followOn.CausationId);
        Assert.Equal(WorkOrderId, followOn.PartitionKey);
    }

    [Fact]
    public async Task A_binary_mode_record_reads_its_attributes_from_the_ce_headers()
    {
        var data = WorkOrderCompletedData().ToJsonString();
        var record = Record(data, ("ce_specversion", "1.0"), ("ce_id", "evt-binary"), ("ce_source", "/mes/line-1"),
            ("ce_type", EventTypes.Mes.WorkOrderCompleted), ("ce_time", "2024-03-01T08:00:00Z"), ("content-type", "application/json"));

        var output = await Function().RunAsync(record, Context());

        var followOn = JsonSerializer.Deserialize<CloudEvent>((string)Json(Assert.Single(output.Events!))["Value"]!, ContractJson.Options)!;
        Assert.Equal("evt-binary", followOn.CausationId);
    }

    [Fact]
    public async Task A_duplicate_record_replays_the_same_outputs_without_running_the_action_again()
    {
        var record = Record(StructuredWorkOrderCompleted("evt-dup"));

        var first = await Function().RunAsync(record, Context());
        var again = await Function().RunAsync(record, Context());

        Assert.Equal(1, _action.Runs);
        Assert.NotNull(first.Events);
        Assert.Equal(Snapshot(first), Snapshot(again));
    }

    [Fact]
    public async Task Types_the_consumer_group_does_not_consume_are_ignored_without_output()
    {
        var other = StructuredWorkOrderCompleted("evt-other").Replace(EventTypes.Mes.WorkOrderCompleted, EventTypes.Mes.WorkOrderCreated, StringComparison.Ordinal);

        var output = await Function().RunAsync(Record(other), Context());

        Assert.Null(output.Events);
        Assert.Null(output.DeadLetter);
        Assert.Equal(0, _action.Runs);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public async Task A_transient_failure_before_the_final_attempt_throws_so_the_retry_policy_runs_again(int retryCount)
    {
        _action.FailTransiently = true;

        await Assert.ThrowsAsync<RetryableFunctionException>(() =>
            Function().RunAsync(Record(StructuredWorkOrderCompleted("evt-retry")), Context(retryCount: retryCount, maxRetryCount: 5)));
    }

    [Fact]
    public async Task On_the_final_attempt_the_record_and_its_error_go_to_the_dead_letter_topic_instead_of_throwing()
    {
        _action.FailTransiently = true;
        var value = StructuredWorkOrderCompleted("evt-final");

        var output = await Function().RunAsync(Record(value, ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")),
            Context(retryCount: 5, maxRetryCount: 5));

        Assert.Null(output.Events);
        var message = Json(output.DeadLetter!);
        Assert.Equal("mes-events.dead-letter", (string?)message["Topic"]);
        Assert.Equal(WorkOrderId, (string?)message["Key"]);
        var deadLetter = Json((string)message["Value"]!);
        Assert.Equal("RetriesExhausted", (string?)deadLetter["reason"]!["code"]);
        Assert.Contains("machine busy", (string?)deadLetter["reason"]!["message"]);
        Assert.Equal("CreateInspection", (string?)deadLetter["consumer"]);
        Assert.Equal("quality.create-inspection", (string?)deadLetter["consumerGroup"]);
        Assert.Equal(6, (int)deadLetter["attempts"]!);
        var original = deadLetter["original"]!;
        Assert.Equal(value, (string?)original["value"]);
        Assert.Equal("utf-8", (string?)original["valueEncoding"]);
        Assert.Equal(WorkOrderId, (string?)original["key"]);
        Assert.Equal(3, (int)original["partition"]!);
        Assert.Equal(1234L, (long)original["offset"]!);
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", (string?)original["headers"]!["traceparent"]);
    }

    [Fact]
    public async Task A_record_that_can_never_succeed_is_dead_lettered_at_once_with_a_non_UTF8_value_in_base64()
    {
        var record = Record("x");
        record.Value = [0xff, 0xfe, 0x00];

        var output = await Function().RunAsync(record, Context(retryCount: 0));

        var deadLetter = Json((string)Json(output.DeadLetter!)["Value"]!);
        Assert.Equal(1, (int)deadLetter["attempts"]!);
        Assert.Equal("base64", (string?)deadLetter["original"]!["valueEncoding"]);
        Assert.Equal(Convert.ToBase64String([0xff, 0xfe, 0x00]), (string?)deadLetter["original"]!["value"]);
        Assert.Equal(0, _action.Runs);
    }

    private static JsonObject WorkOrderCompletedData() => new()
    {
        ["workOrderId"] = WorkOrderId,
        ["workOrderNumber"] = "WO-2024-1001",
        ["quantityCompleted"] = 95,
        ["quantityRejected"] = 5,
        ["completedAt"] = "2024-03-01T08:00:00Z",
        ["completedBy"] = "operator-7",
        ["partId"] = "part-1",
    };

    private static string StructuredWorkOrderCompleted(string id) => new JsonObject
    {
        ["specversion"] = "1.0",
        ["id"] = id,
        ["source"] = "/mes/line-1",
        ["type"] = EventTypes.Mes.WorkOrderCompleted,
        ["time"] = "2024-03-01T08:00:00Z",
        ["datacontenttype"] = "application/json",
        ["partitionkey"] = WorkOrderId,
        ["data"] = WorkOrderCompletedData(),
    }.ToJsonString();

    private static KafkaRecord Record(string value, params (string Key, string Value)[] headers) => new()
    {
        Topic = "mes-events",
        Partition = 3,
        Offset = 1234,
        Key = Encoding.UTF8.GetBytes(WorkOrderId),
        Value = Encoding.UTF8.GetBytes(value),
        Timestamp = new KafkaTimestamp { UnixTimestampMs = 1709280000000, Type = KafkaTimestampType.CreateTime },
        Headers = headers.Select(h => new KafkaHeader { Key = h.Key, Value = Encoding.UTF8.GetBytes(h.Value) }).ToArray(),
    };

    /// <summary>Emits one quality.inspection.created per run; or fails as a busy dependency would.</summary>
    private sealed class StandInAction(ConsumerDefinition definition) : IConsumerAction
    {
        public ConsumerDefinition Definition { get; } = definition;

        public bool FailTransiently { get; set; }

        public int Runs { get; private set; }

        public Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
        {
            Runs++;
            if (FailTransiently) throw new TransientProcessingException("machine busy");
            context.Emit(EventTypes.Mes.QualityInspectionCreated, new { workOrderId = WorkOrderId }, partitionKey: WorkOrderId);
            return Task.CompletedTask;
        }
    }
}
