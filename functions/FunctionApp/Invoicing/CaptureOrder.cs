using EventProcessors.FunctionApp.Hosting;
using Microsoft.Azure.Functions.Worker;

namespace EventProcessors.FunctionApp.Invoicing;

/// <summary>flows.md <c>CaptureOrder</c>: queue <c>invoicing.capture-order</c>; follow-ons (confirmed) to the outbox, retries to its <c>.retry</c> queue, dead letters to <c>invoicing.capture-order.dead-letter</c>.</summary>
public sealed class CaptureOrderFunction(FunctionRunner runner)
{
    public const string Queue = "invoicing.capture-order";

    [Function("CaptureOrder")]
    public Task RunAsync(
        [RabbitMQTrigger(Queue, ConnectionStringSetting = Bindings.RabbitMQ)] string message,
        FunctionContext context) =>
        runner.RunCollectorAsync("CaptureOrder", message, context);
}
