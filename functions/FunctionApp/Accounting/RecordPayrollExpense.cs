using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Actions.Accounting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Accounting;

/// <summary>flows.md <c>RecordPayrollExpense</c>: queue <c>accounting.record-payroll-expense</c>; follow-ons (confirmed) to the outbox, retries to its <c>.retry</c> queue, dead letters to <c>accounting.record-payroll-expense.dead-letter</c>.</summary>
public sealed class RecordPayrollExpenseFunction(FunctionRunner runner)
{
    public const string Queue = "accounting.record-payroll-expense";

    [Function("RecordPayrollExpense")]
    public async Task<RecordPayrollExpenseOutput> RunAsync(
        [RabbitMQTrigger(Queue, ConnectionStringSetting = Bindings.RabbitMQ)] string message,
        FunctionContext context)
    {
        var outputs = await runner.RunCollectorAsync("RecordPayrollExpense", message, context).ConfigureAwait(false);
        return new RecordPayrollExpenseOutput
        {
            LedgerEntries = outputs.Rows<LedgerEntry>(),
        };
    }
}

/// <summary>The output bindings of <see cref="RecordPayrollExpenseFunction"/>; null properties emit nothing.</summary>
public sealed class RecordPayrollExpenseOutput
{
    [SqlOutput("dbo.LedgerEntries", Bindings.Sql)]
    public LedgerEntry[]? LedgerEntries { get; init; }
}
