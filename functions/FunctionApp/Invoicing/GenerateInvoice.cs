using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Actions.Invoicing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Invoicing;

/// <summary>flows.md <c>GenerateInvoice</c>: queue <c>invoicing.generate-invoice</c>; follow-ons (confirmed) to the outbox, retries to its <c>.retry</c> queue, dead letters to <c>invoicing.generate-invoice.dead-letter</c>.</summary>
public sealed class GenerateInvoiceFunction(FunctionRunner runner)
{
    public const string Queue = "invoicing.generate-invoice";

    [Function("GenerateInvoice")]
    public async Task<GenerateInvoiceOutput> RunAsync(
        [RabbitMQTrigger(Queue, ConnectionStringSetting = Bindings.RabbitMQ)] string message,
        FunctionContext context)
    {
        var outputs = await runner.RunCollectorAsync("GenerateInvoice", message, context).ConfigureAwait(false);
        return new GenerateInvoiceOutput
        {
            Invoices = outputs.Rows<Invoice>(),
            InvoiceLines = outputs.Rows<InvoiceLine>(),
        };
    }
}

/// <summary>The output bindings of <see cref="GenerateInvoiceFunction"/>; null properties emit nothing.</summary>
public sealed class GenerateInvoiceOutput
{
    [SqlOutput("dbo.Invoices", Bindings.Sql)]
    public Invoice[]? Invoices { get; init; }

    [SqlOutput("dbo.InvoiceLines", Bindings.Sql)]
    public InvoiceLine[]? InvoiceLines { get; init; }
}
