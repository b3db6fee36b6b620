using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.EventStore;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Audit;

/// <summary>
/// The event store's audit consumer of the MES: consumer group <c>audit.mes-events</c> on <c>mes-events</c>, partition and offset kept.
/// It settles a record as the MES actions do (<see cref="FunctionRunner"/>): an unreachable store is waited out and the record comes
/// back, never skipped; any other failure, or outputs that keep failing, end on the final attempt as a dead letter on
/// <c>mes-events.dead-letter</c>.
/// </summary>
public sealed class AuditMesEventsFunction(AuditRunner runner)
{
    public const string ConsumerGroup = "audit.mes-events";

    [Function("AuditMesEvents")]
    [ExponentialBackoffRetry(Bindings.KafkaMaxRetries, Bindings.KafkaMinimumInterval, Bindings.KafkaMaximumInterval)]
    public async Task<AuditMesOutput> RunAsync(
        [KafkaTrigger(Bindings.Kafka, Bindings.MesTopic, ConsumerGroup = ConsumerGroup, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
            Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)] KafkaRecord record,
        FunctionContext context)
    {
        var outputs = await runner.RecordMesAsync(record, context).ConfigureAwait(false);
        return new AuditMesOutput { Events = outputs.Rows<EventRow>(), DeadLetter = outputs.DeadLetter };
    }
}

/// <summary>The outputs of <see cref="AuditMesEventsFunction"/>: the event's <c>dbo.Events</c> row, or the record's dead letter.</summary>
public sealed class AuditMesOutput
{
    [SqlOutput("dbo.Events", Bindings.Sql)]
    public EventRow[]? Events { get; init; }

    [KafkaOutput(Bindings.Kafka, Bindings.MesDeadLetterTopic, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
        Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)]
    public string? DeadLetter { get; init; }
}
