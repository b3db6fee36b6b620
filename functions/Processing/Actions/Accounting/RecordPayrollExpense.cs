using System.Globalization;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Accounting.State;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Accounting;

/// <summary>
/// payroll.processed -> the payroll's balanced posting: payroll expense debit, payroll payable credit, both the
/// run's total amount in its currency's minor units, dated when the payroll was processed. Same LedgerEntries table as
/// the invoice postings. A payroll run is posted once (<see cref="Journal"/>): a re-sent copy with another total for the
/// same payrollId is dead-lettered, not upserted over the first.
/// </summary>
public sealed class RecordPayrollExpense(ITableServiceClient tables) : IConsumerAction
{
    private readonly Postings _postings = new(tables);

    public ConsumerDefinition Definition => Consumers.RecordPayrollExpense;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var payroll = context.PayloadAs<PayrollProcessed>();
        InputRules.NotBlank(payroll.PayrollId, "$.data.payrollId");
        if (!DateOnly.TryParseExact(payroll.PayrollPeriod, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            throw EventValidationException.Invalid($"payrollPeriod must be a month as yyyy-MM, but is '{payroll.PayrollPeriod}'.", "$.data.payrollPeriod");
        var currency = InputRules.Currency(payroll.Currency, "$.data.currency");
        var amount = InputRules.Money(InputRules.Positive(payroll.TotalAmount, "$.data.totalAmount"), currency, "$.data.totalAmount");
        if (payroll.EmployeeCount <= 0)
            throw EventValidationException.Invalid($"employeeCount must be positive, but is {payroll.EmployeeCount}.", "$.data.employeeCount");

        var description = $"Payroll {payroll.PayrollPeriod} ({payroll.EmployeeCount} employees)";
        await new Journal(context, LedgerSources.Payroll, payroll.PayrollId, payroll.PayrollPeriod, currency, payroll.ProcessedAt)
            .Debit(LedgerAccounts.PayrollExpense, amount, description)
            .Credit(LedgerAccounts.PayrollPayable, amount, description)
            .PostAsync(_postings, "$.data.payrollId", cancellationToken).ConfigureAwait(false);
    }
}
