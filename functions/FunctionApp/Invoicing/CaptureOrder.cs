using EventProcessors.FunctionApp.Hosting;
using Microsoft.Azure.Functions.Worker;

namespace EventProcessors.FunctionApp.Invoicing;

/// <summary>flows.md <c>CaptureOrder</c>: queue <c>invoicing.capture-order</c>; follow-ons to the outbox, dead letters to <c>invoicing.capture-order.dead-letter</c>.</summary>
public sealed class CaptureOrderFunction(FunctionRunner runner)
{
    public const string Queue = "invoicing.capture-order";

    [Function("CaptureOrder")]
    public async Task<CaptureOrderOutput> RunAsync(
        [RabbitMQTrigger(Queue, ConnectionStringSetting = Bindings.RabbitMQ)] string message,
        FunctionContext context)
    {
        var outputs = await runner.RunCollectorAsync("CaptureOrder", message, context).ConfigureAwait(false);
        return new CaptureOrderOutput
        {
            Outbox = outputs.Events,
            DeadLetter = outputs.DeadLetter,
        };
    }
}

/// <summary>The output bindings of <see cref="CaptureOrderFunction"/>; null properties emit nothing.</summary>
public sealed class CaptureOrderOutput
{
    [RabbitMQOutput(QueueName = Bindings.Outbox, ConnectionStringSetting = Bindings.RabbitMQ)]
    public string[]? Outbox { get; init; }

    [RabbitMQOutput(QueueName = CaptureOrderFunction.Queue + ".dead-letter", ConnectionStringSetting = Bindings.RabbitMQ)]
    public string? DeadLetter { get; init; }
}
