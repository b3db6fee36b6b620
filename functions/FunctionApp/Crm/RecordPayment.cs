using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Actions.Crm;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Crm;

/// <summary>flows.md <c>RecordPayment</c>: queue <c>crm.record-payment</c>; follow-ons (confirmed) to the outbox, retries to its <c>.retry</c> queue, dead letters to <c>crm.record-payment.dead-letter</c>.</summary>
public sealed class RecordPaymentFunction(FunctionRunner runner)
{
    public const string Queue = "crm.record-payment";

    [Function("RecordPayment")]
    public async Task<RecordPaymentOutput> RunAsync(
        [RabbitMQTrigger(Queue, ConnectionStringSetting = Bindings.RabbitMQ)] string message,
        FunctionContext context)
    {
        var outputs = await runner.RunCollectorAsync("RecordPayment", message, context).ConfigureAwait(false);
        return new RecordPaymentOutput
        {
            Payments = outputs.Rows<Payment>(),
        };
    }
}

/// <summary>The output bindings of <see cref="RecordPaymentFunction"/>; null properties emit nothing.</summary>
public sealed class RecordPaymentOutput
{
    [SqlOutput("dbo.Payments", Bindings.Sql)]
    public Payment[]? Payments { get; init; }
}
