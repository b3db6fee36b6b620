using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Actions.Payroll;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Payroll;

/// <summary>flows.md <c>RecordBillableHours</c>: queue <c>payroll.record-billable-hours</c>; follow-ons (confirmed) to the outbox, retries to its <c>.retry</c> queue, dead letters to <c>payroll.record-billable-hours.dead-letter</c>.</summary>
public sealed class RecordBillableHoursFunction(FunctionRunner runner)
{
    public const string Queue = "payroll.record-billable-hours";

    [Function("RecordBillableHours")]
    public async Task<RecordBillableHoursOutput> RunAsync(
        [RabbitMQTrigger(Queue, ConnectionStringSetting = Bindings.RabbitMQ)] string message,
        FunctionContext context)
    {
        var outputs = await runner.RunCollectorAsync("RecordBillableHours", message, context).ConfigureAwait(false);
        return new RecordBillableHoursOutput
        {
            BillableHours = outputs.Rows<BillableHours>(),
        };
    }
}

/// <summary>The output bindings of <see cref="RecordBillableHoursFunction"/>; null properties emit nothing.</summary>
public sealed class RecordBillableHoursOutput
{
    [SqlOutput("dbo.BillableHours", Bindings.Sql)]
    public BillableHours[]? BillableHours { get; init; }
}
