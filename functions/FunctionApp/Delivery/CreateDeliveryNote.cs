using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Actions.Delivery;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Delivery;

/// <summary>flows.md <c>CreateDeliveryNote</c>: queue <c>delivery.create-note</c>; follow-ons (confirmed) to the outbox, retries to its <c>.retry</c> queue, dead letters to <c>delivery.create-note.dead-letter</c>.</summary>
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
            DeliveryNotes = outputs.Rows<DeliveryNote>(),
            DeliveryNoteLines = outputs.Rows<DeliveryNoteLine>(),
        };
    }
}

/// <summary>The output bindings of <see cref="CreateDeliveryNoteFunction"/>; null properties emit nothing.</summary>
public sealed class CreateDeliveryNoteOutput
{
    [SqlOutput("dbo.DeliveryNotes", Bindings.Sql)]
    public DeliveryNote[]? DeliveryNotes { get; init; }

    [SqlOutput("dbo.DeliveryNoteLines", Bindings.Sql)]
    public DeliveryNoteLine[]? DeliveryNoteLines { get; init; }
}
