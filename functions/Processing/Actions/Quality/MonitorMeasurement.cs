using System.Globalization;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.ManufacturingIntelligence;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Quality;

/// <summary>
/// quality.measurement.recorded -> quality.check.failed when the value lies outside [lowerLimit, upperLimit]
/// (both limits inclusive). It re-checks the limits rather than trusting the producer's isWithinSpec flag.
/// Stateless: a re-run emits the same event with the same id.
/// </summary>
public sealed class MonitorMeasurement : IConsumerAction
{
    public ConsumerDefinition Definition => Consumers.MonitorMeasurement;

    public Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var measurement = context.PayloadAs<QualityMeasurementRecorded>();
        InputRules.NotBlank(measurement.EquipmentId, "$.data.equipmentId");
        InputRules.NotBlank(measurement.Parameter, "$.data.parameter");
        if (measurement.LowerLimit > measurement.UpperLimit)
            throw EventValidationException.Invalid(
                $"lowerLimit {measurement.LowerLimit} must not exceed upperLimit {measurement.UpperLimit}.", "$.data.lowerLimit");

        var reason = measurement.Value > measurement.UpperLimit ? $"above upper limit {Text(measurement.UpperLimit)}"
            : measurement.Value < measurement.LowerLimit ? $"below lower limit {Text(measurement.LowerLimit)}"
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

    private static string Text(decimal limit) => limit.ToString(CultureInfo.InvariantCulture);
}
