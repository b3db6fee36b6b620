using EventProcessors.FunctionApp.Hosting;
using Microsoft.Azure.Functions.Worker;

namespace EventProcessors.FunctionApp.Audit;

/// <summary>
/// The event store's view of MES dead letters: consumer group <c>audit.mes-events.dead-letter</c> on <c>mes-events.dead-letter</c>;
/// each dead letter is recorded against the event it carries, so a trace shows which consumer gave up and why.
/// </summary>
public sealed class AuditMesDeadLettersFunction(AuditRunner runner)
{
    public const string ConsumerGroup = "audit.mes-events.dead-letter";

    [Function("AuditMesDeadLetters")]
    [ExponentialBackoffRetry(Bindings.KafkaMaxRetries, Bindings.KafkaMinimumInterval, Bindings.KafkaMaximumInterval)]
    public Task RunAsync(
        [KafkaTrigger(Bindings.Kafka, Bindings.MesDeadLetterTopic, ConsumerGroup = ConsumerGroup, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
            Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)] KafkaRecord record,
        FunctionContext context) =>
        runner.RecordMesDeadLetterAsync(record, context);
}
