using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions.Accounting;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Pipeline;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Accounting;

/// <summary>RecordPayrollExpense keeps no state (its rows are keyed by the payroll run), so one backend is enough.</summary>
public sealed class RecordPayrollExpenseTests
{
    private const string PayrollId = "9e8d7c6b-0000-4000-8000-000000000001";

    private readonly string _tenant = NewTenant();
    private readonly PipelineHarness _pipeline = Harness(new InMemoryTableServiceClient());

    private Task<ProcessingResult> Record(JsonObject? payroll = null, string timestamp = "2024-01-31T18:00:05.000Z") =>
        _pipeline.ProcessAsync(Envelope(EventTypes.Collector.PayrollProcessed, _tenant, payroll ?? PayrollProcessed(), timestamp), new RecordPayrollExpense());

    private LedgerEntry Entry(string account, decimal debit, decimal credit) => new()
    {
        EntryId = DerivedIds.Uuid("ledger-entry", _tenant, "PAYROLL", PayrollId, account),
        TenantId = _tenant,
        JournalId = DerivedIds.Uuid("journal", _tenant, "PAYROLL", PayrollId),
        SourceType = "PAYROLL",
        SourceId = PayrollId,
        SourceNumber = "2024-01",
        Account = account,
        Debit = debit,
        Credit = credit,
        Currency = "USD",
        CustomerId = null,
        Description = "Payroll 2024-01 (25 employees)",
        PostedAt = new DateTimeOffset(2024, 1, 31, 18, 0, 0, TimeSpan.Zero),
    };

    [Fact]
    public async Task Seed_payroll_posts_a_balanced_expense_dated_when_processed()
    {
        var result = await Record();

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.Empty(result.Outcome.Events);
        Assert.Equal([Entry("PayrollExpense", 50000.00m, 0m), Entry("PayrollPayable", 0m, 50000.00m)], result.Rows<LedgerEntry>());
        Assert.All(result.Outcome.Records, r => Assert.Equal("LedgerEntries", r.Table));
    }

    [Fact]
    public async Task Duplicate_replays_and_a_re_sent_run_upserts_the_same_rows()
    {
        var first = await Record();

        var duplicate = await Record();
        var resent = await Record(timestamp: "2024-01-31T18:10:00.000Z");

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(ProcessingStatus.Completed, resent.Status);
        Assert.Equal(first.Rows<LedgerEntry>(), resent.Rows<LedgerEntry>());
    }

    public static TheoryData<string, JsonNode?, string, string> Invalid => new()
    {
        { "totalAmount", "0", "$.data.totalAmount", "totalAmount must be positive, but is 0." },
        { "totalAmount", "-100.00", "$.data.totalAmount", "totalAmount must be positive, but is -100.00." },
        { "totalAmount", "100.001", "$.data.totalAmount", "totalAmount must have at most 2 decimal places in USD, but is 100.001." },
        { "employeeCount", 0, "$.data.employeeCount", "employeeCount must be positive, but is 0." },
        { "payrollPeriod", "2024-13", "$.data.payrollPeriod", "payrollPeriod must be a month as yyyy-MM, but is '2024-13'." },
        { "payrollPeriod", "January 2024", "$.data.payrollPeriod", "payrollPeriod must be a month as yyyy-MM, but is 'January 2024'." },
        { "currency", "", "$.data.currency", "currency must be a 3-letter ISO 4217 code, but is ''." },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task A_payroll_that_makes_no_sense_is_dead_lettered(string field, JsonNode? value, string path, string message)
    {
        var payroll = PayrollProcessed();
        payroll[field] = value;

        var result = await Record(payroll);

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, message, path), result.Error);
    }
}
