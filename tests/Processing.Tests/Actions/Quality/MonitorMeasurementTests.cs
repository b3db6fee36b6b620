using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.ManufacturingIntelligence;
using EventProcessors.Processing.Actions.Quality;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Pipeline;
using static EventProcessors.Processing.Tests.Actions.MesEvents;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Quality;

public sealed class MonitorMeasurementTests
{
    private readonly string _tenant = NewTenant();
    private readonly PipelineHarness _pipeline = Harness(new InMemoryTableServiceClient());

    private static JsonObject Measured(decimal value, decimal lower = 10.0m, decimal upper = 11.0m) => Json($$"""
        { "equipmentId": "equip-123", "parameter": "dimension", "value": {{value}}, "timestamp": "2025-01-10T12:00:00Z",
          "isWithinSpec": true, "lowerLimit": {{lower}}, "upperLimit": {{upper}} }
        """);

    private Task<ProcessingResult> Measure(JsonObject data, string eventId = "evt-m-1") =>
        _pipeline.ProcessAsync(Intelligence(EventTypes.ManufacturingIntelligence.QualityMeasurementRecorded, _tenant, data, eventId), new MonitorMeasurement());

    [Theory]
    [InlineData("11.5", "above upper limit 11.0")]
    [InlineData("11.0001", "above upper limit 11.0")]
    [InlineData("9.9999", "below lower limit 10.0")]
    public async Task Value_outside_the_limits_fails_the_check(string value, string reason)
    {
        var result = await Measure(Measured(decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture)));

        var failed = Assert.Single(result.Outcome.Events);
        Assert.Equal((EventTypes.ManufacturingIntelligence.QualityCheckFailed, "equip-123"), (failed.Type, failed.PartitionKey));
        Assert.Equal(new QualityCheckFailed
        {
            EquipmentId = "equip-123", Parameter = "dimension", Value = decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture),
            LowerLimit = 10.0m, UpperLimit = 11.0m, MeasuredAt = DateTimeOffset.Parse("2025-01-10T12:00:00Z"), Reason = reason,
        }, failed.Payload<QualityCheckFailed>());
    }

    [Theory]
    [InlineData("10.0")]
    [InlineData("10.5")]
    [InlineData("11.0")]
    public async Task Value_on_or_inside_the_limits_emits_nothing(string value)
    {
        var result = await Measure(Measured(decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture)));

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.True(result.Outcome.IsEmpty);
    }

    [Fact]
    public async Task Duplicate_replays_the_same_failure()
    {
        var first = await Measure(Measured(12m));
        var duplicate = await Measure(Measured(12m));

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
    }

    [Fact]
    public async Task Crossed_limits_are_dead_lettered()
    {
        var result = await Measure(Measured(10.5m, lower: 11m, upper: 10m));

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "lowerLimit 11 must not exceed upperLimit 10.", "$.data.lowerLimit"), result.Error);
    }
}
