using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions.Accounting;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Accounting;

public sealed class RecordPayrollExpenseOnAzurite(AzuriteFixture azurite) : RecordPayrollExpenseTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class RecordPayrollExpenseInMemory : RecordPayrollExpenseTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

public abstract class RecordPayrollExpenseTests : ActionTests
{
    private const string PayrollId = "9e8d7c6b-0000-4000-8000-000000000001";

    private Task<ProcessingResult> Record(JsonObject? payroll = null, string timestamp = "2024-01-31T18:00:05.000Z") =>
        Pipeline.ProcessAsync(Envelope(EventTypes.Collector.PayrollProcessed, Tenant, payroll ?? PayrollProcessed(), timestamp), new RecordPayrollExpense(Tables));

    private LedgerEntry Entry(string account, decimal debit, decimal credit) => new()
    {
        EntryId = DerivedIds.Uuid("ledger-entry", Tenant, "PAYROLL", PayrollId, account),
        TenantId = Tenant,
        JournalId = DerivedIds.Uuid("journal", Tenant, "PAYROLL", PayrollId),
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

    [Fact]
    public async Task A_re_sent_run_with_another_total_is_dead_lettered_and_the_first_posting_stands()
    {
        await Record();
        var changed = PayrollProcessed();
        changed["totalAmount"] = "51000.00";

        var result = await Record(changed, "2024-02-01T08:00:00.000Z");
        var again = await Record(timestamp: "2024-02-01T09:00:00.000Z");

        Assert.Equal(new EventError(EventErrorCode.InvalidValue,
            $"PAYROLL 2024-01 ({PayrollId}) is already posted with other amounts; a correction is a posting of its own (credit note, adjustment), not a re-sent event.",
            "$.data.payrollId"), result.Error);
        Assert.True(result.Outcome.IsEmpty);
        Assert.Equal([Entry("PayrollExpense", 50000.00m, 0m), Entry("PayrollPayable", 0m, 50000.00m)], again.Rows<LedgerEntry>());
    }

    [Fact]
    public async Task A_yen_payroll_is_posted_in_whole_yen()
    {
        var payroll = PayrollProcessed();
        payroll["currency"] = "JPY";
        payroll["totalAmount"] = "8250000";
        var fractional = PayrollProcessed();
        fractional["payrollId"] = "9e8d7c6b-0000-4000-8000-000000000002";
        fractional["currency"] = "JPY";
        fractional["totalAmount"] = "8250000.50";

        var posted = await Record(payroll);
        var refused = await Record(fractional);

        Assert.Equal([(8250000m, 0m, "JPY"), (0m, 8250000m, "JPY")], posted.Rows<LedgerEntry>().Select(e => (e.Debit, e.Credit, e.Currency)));
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "totalAmount must have at most 0 decimal places in JPY, but is 8250000.50.", "$.data.totalAmount"), refused.Error);
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
