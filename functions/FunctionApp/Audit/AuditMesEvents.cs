using EventProcessors.FunctionApp.Hosting;
using Microsoft.Azure.Functions.Worker;

namespace EventProcessors.FunctionApp.Audit;

/// <summary>The event store's audit consumer of the MES: consumer group <c>audit.mes-events</c> on <c>mes-events</c>, partition and offset kept.</summary>
public sealed class AuditMesEventsFunction(AuditRunner runner)
{
    public const string ConsumerGroup = "audit.mes-events";

    [Function("AuditMesEvents")]
    [ExponentialBackoffRetry(Bindings.KafkaMaxRetries, Bindings.KafkaMinimumInterval, Bindings.KafkaMaximumInterval)]
    public async Task<AuditOutput> RunAsync(
        [KafkaTrigger(Bindings.Kafka, Bindings.MesTopic, ConsumerGroup = ConsumerGroup, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
            Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)] KafkaRecord record,
        FunctionContext context) =>
        new() { Events = [await runner.RecordMesAsync(record, context).ConfigureAwait(false)] };
}
