using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Actions;
using Microsoft.Azure.Functions.Worker;

namespace EventProcessors.FunctionApp.Audit;

/// <summary>
/// The event store's view of Collector dead letters: queue <c>audit.dead-letters</c>, bound to the dead-letter exchange with every
/// dead-letter queue's key (infra/rabbitmq/definitions.json), so it gets a copy of each dead letter the functions write and of each
/// message the broker dead-letters past its delivery limit, while <c>&lt;queue&gt;.dead-letter</c> keeps its own for the operator.
/// </summary>
public sealed class AuditDeadLettersFunction(AuditRunner runner)
{
    public const string Queue = Destinations.AuditDeadLetters;

    [Function("AuditDeadLetters")]
    public Task RunAsync(
        [RabbitMQTrigger(Queue, ConnectionStringSetting = Bindings.RabbitMQ)] string message,
        FunctionContext context) =>
        runner.RecordCollectorDeadLetterAsync(message, context);
}
