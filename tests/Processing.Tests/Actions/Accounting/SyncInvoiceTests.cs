using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions.Accounting;
using EventProcessors.Processing.Actions.Accounting.State;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Accounting;

public sealed class SyncInvoiceOnAzurite(AzuriteFixture azurite) : SyncInvoiceTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class SyncInvoiceInMemory : SyncInvoiceTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

public abstract class SyncInvoiceTests : ActionTests
{
    private const string InvoiceId = "1a2b3c4d-0000-4000-8000-000000000001";
    private const string IssuedAt = "2024-01-15T14:30:00.000Z";

    private Task<ProcessingResult> Sync(JsonObject? invoice = null, string timestamp = IssuedAt) =>
        Pipeline.ProcessAsync(Envelope(EventTypes.Collector.InvoiceIssued, Tenant, invoice ?? InvoiceIssued(), timestamp), new SyncInvoice(Tables));

    private LedgerEntry Entry(string account, decimal debit, decimal credit, string? customerId) => new()
    {
        EntryId = DerivedIds.Uuid("ledger-entry", Tenant, "INVOICE", InvoiceId, account),
        TenantId = Tenant,
        JournalId = DerivedIds.Uuid("journal", Tenant, "INVOICE", InvoiceId),
        SourceType = "INVOICE",
        SourceId = InvoiceId,
        SourceNumber = "INV-2024-001",
        Account = account,
        Debit = debit,
        Credit = credit,
        Currency = "USD",
        CustomerId = customerId,
        Description = "Invoice INV-2024-001",
        PostedAt = DateTimeOffset.Parse(IssuedAt),
    };

    [Fact]
    public async Task Seed_invoice_posts_receivable_revenue_and_tax_that_balance()
    {
        var result = await Sync();

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.Empty(result.Outcome.Events);
        var entries = result.Rows<LedgerEntry>();
        Assert.Equal(
        [
            Entry("AccountsReceivable", 1500.00m, 0m, CustomerId),
            Entry("SalesRevenue", 0m, 1250.00m, CustomerId),
            Entry("SalesTaxPayable", 0m, 250.00m, null),
        ], entries);
        Assert.Equal(entries.Sum(e => e.Debit), entries.Sum(e => e.Credit));
    }

    [Fact]
    public async Task A_tax_free_invoice_posts_no_tax_line()
    {
        var invoice = InvoiceIssued();
        invoice["taxTotal"] = "0.00";
        invoice["grandTotal"] = "1250.00";

        var result = await Sync(invoice);

        Assert.Equal([Entry("AccountsReceivable", 1250.00m, 0m, CustomerId), Entry("SalesRevenue", 0m, 1250.00m, CustomerId)], result.Rows<LedgerEntry>());
    }

    [Fact]
    public async Task A_zero_invoice_is_accepted_and_posts_nothing()
    {
        var invoice = InvoiceIssued();
        foreach (var total in new[] { "subtotal", "taxTotal", "grandTotal" }) invoice[total] = "0.00";
        invoice["lineItems"]![0]!["total"] = "0.00";

        var result = await Sync(invoice);

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.Empty(result.Rows<LedgerEntry>());
    }

    [Fact]
    public async Task Lines_with_several_items_must_add_up_to_the_subtotal()
    {
        var invoice = InvoiceIssued();
        invoice["lineItems"] = new JsonArray(
            new JsonObject { ["description"] = "A", ["quantity"] = "3", ["unitPrice"] = "100.00", ["total"] = "300.00" },
            new JsonObject { ["description"] = "B", ["quantity"] = "1", ["unitPrice"] = "950.00", ["total"] = "950.00" });

        var result = await Sync(invoice);

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.Equal(3, result.Rows<LedgerEntry>().Length);
    }

    [Fact]
    public async Task Duplicate_replays_and_a_re_sent_invoice_upserts_the_same_rows()
    {
        var first = await Sync();

        var duplicate = await Sync();
        var resent = await Sync(timestamp: "2024-01-15T14:31:00.000Z");

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(ProcessingStatus.Completed, resent.Status);
        // The very same rows, posting date included: whichever copy's upsert lands last, the ledger reads the same.
        Assert.Equal(first.Rows<LedgerEntry>(), resent.Rows<LedgerEntry>());
        Assert.Equal(DateTimeOffset.Parse(IssuedAt), resent.Rows<LedgerEntry>()[0].PostedAt);
    }

    [Fact]
    public async Task A_copy_with_other_figures_for_a_posted_invoice_is_dead_lettered_and_the_posting_stands()
    {
        await Sync();
        var changed = InvoiceIssued();
        changed["subtotal"] = "1000.00";
        changed["grandTotal"] = "1250.00";
        changed["lineItems"]![0]!["total"] = "1000.00";

        var result = await Sync(changed, "2024-01-16T09:00:00.000Z");

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue,
            $"INVOICE INV-2024-001 ({InvoiceId}) is already posted with other amounts; a correction is a posting of its own (credit note, adjustment), not a re-sent event.",
            "$.data.invoiceId"), result.Error);
        Assert.True(result.Outcome.IsEmpty);
        var posting = await new Postings(Tables).GetAsync(Tenant, LedgerSources.Invoice, InvoiceId, CancellationToken.None);
        Assert.Equal(1500.00m, posting!.Lines.Single(l => l.Account == LedgerAccounts.AccountsReceivable).Debit);
    }

    [Theory]
    [InlineData("JPY", "187500", "18750", "206250")]
    [InlineData("KWD", "1250.125", "125.013", "1375.138")]
    public async Task An_invoice_is_posted_in_its_currencys_minor_units(string currency, string subtotal, string tax, string grand)
    {
        var invoice = InvoiceIssued();
        invoice["currency"] = currency;
        invoice["subtotal"] = subtotal;
        invoice["taxTotal"] = tax;
        invoice["grandTotal"] = grand;
        invoice["lineItems"]![0]!["total"] = subtotal;

        var result = await Sync(invoice);

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        var p = System.Globalization.CultureInfo.InvariantCulture;
        Assert.Equal(
        [
            ("AccountsReceivable", decimal.Parse(grand, p), 0m, currency),
            ("SalesRevenue", 0m, decimal.Parse(subtotal, p), currency),
            ("SalesTaxPayable", 0m, decimal.Parse(tax, p), currency),
        ], result.Rows<LedgerEntry>().Select(e => (e.Account, e.Debit, e.Credit, e.Currency)));
    }

    public static TheoryData<string, JsonNode?, string, string> Invalid => new()
    {
        { "grandTotal", "1499.99", "$.data.grandTotal", "Subtotal 1250.00 + tax 250.00 = 1500.00, but the grand total is 1499.99." },
        { "subtotal", "1200.00", "$.data.subtotal", "The line totals add up to 1250.00, but the subtotal is 1200.00." },
        { "taxTotal", "-250.00", "$.data.taxTotal", "taxTotal must not be negative, but is -250.00." },
        { "subtotal", "1250.005", "$.data.subtotal", "subtotal must have at most 2 decimal places in USD, but is 1250.005." },
        { "currency", "usd1", "$.data.currency", "currency must be a 3-letter ISO 4217 code, but is 'usd1'." },
        { "currency", "ABC", "$.data.currency", "currency 'ABC' is not an ISO 4217 currency this system can hold amounts in." },
        { "currency", "XAU", "$.data.currency", "currency 'XAU' is not an ISO 4217 currency this system can hold amounts in." },
        { "lineItems", new JsonArray(), "$.data.lineItems", "lineItems must not be empty." },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task An_invoice_that_does_not_add_up_is_dead_lettered_and_posts_nothing(string field, JsonNode? value, string path, string message)
    {
        var invoice = InvoiceIssued();
        invoice[field] = value;

        var result = await Sync(invoice);

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, message, path), result.Error);
        Assert.True(result.Outcome.IsEmpty);
    }

    [Fact]
    public async Task A_line_with_zero_quantity_is_dead_lettered()
    {
        var invoice = InvoiceIssued();
        invoice["lineItems"]![0]!["quantity"] = "0";

        var result = await Sync(invoice);

        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "quantity must be positive, but is 0.", "$.data.lineItems[0].quantity"), result.Error);
    }
}
