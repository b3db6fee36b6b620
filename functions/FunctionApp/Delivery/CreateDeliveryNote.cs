using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Actions.Delivery;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Delivery;

/// <summary>flows.md <c>CreateDeliveryNote</c>: queue <c>delivery.create-note</c>; follow-ons to the outbox, dead letters to <c>delivery.create-note.dead-letter</c>.</summary>
public sealed class CreateDeliveryNoteFunction(FunctionRunner runner)
{
    public const string Queue = "delivery.create-note";

    [Function("CreateDeliveryNote")]
    public async Task<CreateDeliveryNoteOutput> RunAsync(
        [RabbitMQTrigger(Queue, ConnectionStringSetting = Bindings.RabbitMQ)] string message,
        FunctionContext context)
    {
        var outputs = await runner.RunCollectorAsync("CreateDeliveryNote", message, context).ConfigureAwait(false);
        return new CreateDeliveryNoteOutput
        {
            Outbox = outputs.Events,
            DeadLetter = outputs.DeadLetter,
            DeliveryNotes = outputs.Rows<DeliveryNote>(),
            DeliveryNoteLines = outputs.Rows<DeliveryNoteLine>(),
        };
    }
}

/// <summary>The output bindings of <see cref="CreateDeliveryNoteFunction"/>; null properties emit nothing.</summary>
public sealed class CreateDeliveryNoteOutput
{
    [RabbitMQOutput(QueueName = Bindings.Outbox, ConnectionStringSetting = Bindings.RabbitMQ)]
    public string[]? Outbox { get; init; }

    [RabbitMQOutput(QueueName = CreateDeliveryNoteFunction.Queue + ".dead-letter", ConnectionStringSetting = Bindings.RabbitMQ)]
    public string? DeadLetter { get; init; }

    [SqlOutput("dbo.DeliveryNotes", Bindings.Sql)]
    public DeliveryNote[]? DeliveryNotes { get; init; }

    [SqlOutput("dbo.DeliveryNoteLines", Bindings.Sql)]
    public DeliveryNoteLine[]? DeliveryNoteLines { get; init; }
}
