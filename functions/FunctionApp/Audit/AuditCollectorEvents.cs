using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.EventStore;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Audit;

/// <summary>
/// The event store's audit consumer of Collector: queue <c>audit.collector-events</c>, bound with <c>#</c> to
/// <c>collector-events</c> (infra/rabbitmq/definitions.json), so it sees every event and every follow-on RouteOutbox publishes.
/// </summary>
public sealed class AuditCollectorEventsFunction(AuditRunner runner)
{
    public const string Queue = "audit.collector-events";

    [Function("AuditCollectorEvents")]
    public async Task<AuditOutput> RunAsync(
        [RabbitMQTrigger(Queue, ConnectionStringSetting = Bindings.RabbitMQ)] string message,
        FunctionContext context) =>
        new() { Events = [await runner.RecordCollectorAsync(message, context).ConfigureAwait(false)] };
}

/// <summary>The output of an audit function: the event's <c>dbo.Events</c> row (upserted by key, so a redelivery changes nothing).</summary>
public sealed class AuditOutput
{
    [SqlOutput("dbo.Events", Bindings.Sql)]
    public EventRow[]? Events { get; init; }
}
