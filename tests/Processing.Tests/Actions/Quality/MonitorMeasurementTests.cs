using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.ManufacturingIntelligence;
using EventProcessors.Processing.Actions.Quality;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Actions.OrderToCash;
using EventProcessors.Processing.Tests.Pipeline;
using static EventProcessors.TestSupport.MesEvents;

namespace EventProcessors.Processing.Tests.Actions.Quality;

/// <summary>Stateless: the in-memory tables carry only the pipeline's idempotency records.</summary>
public sealed class MonitorMeasurementTests
{
    private static readonly DateTimeOffset MeasuredAt = new(2025, 10, 19, 10, 0, 0, TimeSpan.Zero);

    private readonly ITableServiceClient _tables = new InMemoryTableServiceClient();
    private readonly string _tenant = OrderToCashEvents.NewTenant();
    private readonly PipelineHarness _pipeline;

    public MonitorMeasurementTests() => _pipeline = OrderToCashEvents.Harness(_tables);

    private Task<ProcessingResult> Measure(JsonObject measurement, string id = "m-1", PipelineHarness? pipeline = null) =>
        (pipeline ?? _pipeline).ProcessAsync(IntelligenceEnvelope(EventTypes.ManufacturingIntelligence.QualityMeasurementRecorded, _tenant, measurement, id), new MonitorMeasurement());

    [Theory]
    [InlineData("10.5")]
    [InlineData("10.0")]
    [InlineData("11.0")]
    [InlineData("10.00")]
    public async Task A_value_within_its_limits_limits_included_emits_nothing(string value)
    {
        var result = await Measure(Measurement(value));

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.True(result.Outcome.IsEmpty);
    }

    [Theory]
    [InlineData("11.01", "above upper limit 11.0")]
    [InlineData("9.9999", "below lower limit 10.0")]
    [InlineData("-3", "below lower limit 10.0")]
    public async Task A_value_outside_its_limits_fails_the_check(string value, string reason)
    {
        var result = await Measure(Measurement(value, withinSpec: false));

        var failed = Assert.Single(result.Outcome.Events);
        Assert.Equal((EventTypes.ManufacturingIntelligence.QualityCheckFailed, "equip-123", "m-1"), (failed.Type, failed.PartitionKey, failed.CausationId));
        Assert.Equal(new QualityCheckFailed
        {
            EquipmentId = "equip-123", Parameter = "dimension", Value = decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture),
            LowerLimit = 10.0m, UpperLimit = 11.0m, MeasuredAt = MeasuredAt, Reason = reason,
        }, failed.Payload<QualityCheckFailed>());
    }

    [Fact]
    public async Task The_producers_own_verdict_is_not_trusted()
    {
        var saysFine = await Measure(Measurement("12.5", withinSpec: true));
        var saysBad = await Measure(Measurement("10.5", withinSpec: false), "m-2");

        Assert.Equal("above upper limit 11.0", Assert.Single(saysFine.Outcome.Events).Payload<QualityCheckFailed>().Reason);
        Assert.True(saysBad.Outcome.IsEmpty);
    }

    [Fact]
    public async Task A_zero_width_tolerance_accepts_exactly_the_nominal_value()
    {
        Assert.True((await Measure(Measurement("5", "5", "5"))).Outcome.IsEmpty);
        Assert.Equal("above upper limit 5", Assert.Single((await Measure(Measurement("5.001", "5", "5"), "m-2")).Outcome.Events).Payload<QualityCheckFailed>().Reason);
    }

    [Fact]
    public async Task A_duplicate_replays_the_same_failure()
    {
        var first = await Measure(Measurement("12"));
        var duplicate = await Measure(Measurement("12"));
        var rerun = await Measure(Measurement("12"), pipeline: OrderToCashEvents.Harness(_tables));

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
    }

    [Theory]
    [InlineData("lowerLimit")]
    [InlineData("upperLimit")]
    public async Task A_measurement_without_a_limit_cannot_be_judged_and_is_dead_lettered(string limit)
    {
        var measurement = Measurement();
        measurement.Remove(limit);

        var result = await Measure(measurement);

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal((EventErrorCode.MissingField, $"$.data.{limit}"), (result.Error!.Code, result.Error.Path));
    }

    [Fact]
    public async Task Limits_the_wrong_way_round_are_dead_lettered()
    {
        var result = await Measure(Measurement("10.5", "11.0", "10.0"));

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "lowerLimit (11.0) lies above upperLimit (10.0).", "$.data.lowerLimit"), result.Error);
    }
}
