using System.Globalization;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.ManufacturingIntelligence;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Quality;

/// <summary>
/// quality.measurement.recorded -> quality.check.failed when the value lies outside its limits. The limits are
/// inclusive: a value equal to a limit is within spec, and a measurement within spec emits nothing.
/// </summary>
/// <remarks>
/// <para>The check is made against the limits the measurement carries; the producer's own <c>isWithinSpec</c> is
/// not trusted, so a disagreeing producer is caught rather than echoed.</para>
/// <para>Limits are required by the contract: a measurement without them cannot be judged and is dead-lettered
/// by the payload check, as is one whose lower limit lies above its upper limit (here).</para>
/// <para>No state: the pipeline's idempotency records already keep a redelivered measurement from flagging twice.</para>
/// </remarks>
public sealed class MonitorMeasurement : IConsumerAction
{
    public ConsumerDefinition Definition => Consumers.MonitorMeasurement;

    public Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var measurement = context.PayloadAs<QualityMeasurementRecorded>();
        InputRules.NotBlank(measurement.EquipmentId, "$.data.equipmentId");
        InputRules.NotBlank(measurement.Parameter, "$.data.parameter");
        if (measurement.LowerLimit > measurement.UpperLimit)
            throw EventValidationException.Invalid(string.Create(CultureInfo.InvariantCulture,
                $"lowerLimit ({measurement.LowerLimit}) lies above upperLimit ({measurement.UpperLimit})."), "$.data.lowerLimit");

        var reason = measurement.Value < measurement.LowerLimit ? Describe("below lower limit", measurement.LowerLimit)
            : measurement.Value > measurement.UpperLimit ? Describe("above upper limit", measurement.UpperLimit)
            : null;
        if (reason is null) return Task.CompletedTask;

        context.Emit(EventTypes.ManufacturingIntelligence.QualityCheckFailed, new QualityCheckFailed
        {
            EquipmentId = measurement.EquipmentId,
            Parameter = measurement.Parameter,
            Value = measurement.Value,
            LowerLimit = measurement.LowerLimit,
            UpperLimit = measurement.UpperLimit,
            MeasuredAt = measurement.Timestamp,
            Reason = reason,
        }, partitionKey: measurement.EquipmentId);
        return Task.CompletedTask;
    }

    private static string Describe(string side, decimal limit) => string.Create(CultureInfo.InvariantCulture, $"{side} {limit}");
}
