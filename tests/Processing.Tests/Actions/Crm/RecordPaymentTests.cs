using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions.Accounting;
using EventProcessors.Processing.Actions.Accounting.State;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Crm;
using EventProcessors.Processing.Actions.Crm.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Pipeline;
using EventProcessors.TestSupport;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Crm;

public sealed class RecordPaymentOnAzurite(AzuriteFixture azurite) : RecordPaymentTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class RecordPaymentInMemory : RecordPaymentTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

/// <summary>
/// Scale, in memory only (the in-memory tables enforce the service's 1 MiB entity limit): a customer who pays thousands
/// of invoices keeps every payment, each counted once.
/// </summary>
public sealed class RecordPaymentAtScale : ActionTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();

    [Fact]
    public async Task A_customer_paying_five_thousand_invoices_keeps_every_payment()
    {
        const int invoices = 5_000;
        var postings = new Postings(Tables);
        for (var i = 0; i < invoices; i++)
        {
            // Posted as SyncInvoice would (RecordPaymentTests go through it); this test is about the account's size.
            await postings.RecordAsync(Tenant, new Posting
            {
                SourceType = LedgerSources.Invoice, SourceId = $"inv-{i:D5}", SourceNumber = "INV-2024-001", Currency = "USD", PostedAt = DateTimeOffset.UnixEpoch,
                Lines =
                [
                    new() { Account = LedgerAccounts.AccountsReceivable, Debit = 10.00m, Credit = 0m, CustomerId = CustomerId, Description = "" },
                    new() { Account = LedgerAccounts.SalesRevenue, Debit = 0m, Credit = 10.00m, CustomerId = CustomerId, Description = "" },
                ],
            }, CancellationToken.None);
            var result = await Pipeline.ProcessAsync(Envelope(EventTypes.Collector.InvoicePaid, Tenant,
                InvoicePaid($"inv-{i:D5}", "10.00", paymentDate: new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(i).ToString("O"))), new RecordPayment(Tables));
            Assert.Equal(ProcessingStatus.Completed, result.Status);
        }

        var account = await new CustomerAccounts(Tables).GetAsync(Tenant, CustomerId, CancellationToken.None);

        Assert.Equal((invoices, invoices * 10.00m, 0m), (account!.Payments.Count, account.TotalPaid, account.CreditBalance));
        Assert.Equal("inv-04999", account.Payments[^1].InvoiceId);
    }
}

public abstract class RecordPaymentTests : ActionTests
{
    private const string InvoiceId = "1a2b3c4d-0000-4000-8000-000000000001";
    private static readonly DateTimeOffset PaidAt = new(2024, 1, 16, 10, 0, 0, TimeSpan.Zero);

    private Task<ProcessingResult> Pay(JsonObject? paid = null, string timestamp = "2024-01-16T10:00:01.000Z", PipelineHarness? pipeline = null) =>
        (pipeline ?? Pipeline).ProcessAsync(Envelope(EventTypes.Collector.InvoicePaid, Tenant, paid ?? InvoicePaid(), timestamp), new RecordPayment(Tables));

    private Task<CustomerAccount?> Account() => new CustomerAccounts(Tables).GetAsync(Tenant, CustomerId, CancellationToken.None);

    private Task<InvoiceBalance?> Balance(string invoiceId = InvoiceId) => new CustomerAccounts(Tables).BalanceAsync(Tenant, invoiceId, CancellationToken.None);

    /// <summary>invoice.issued through SyncInvoice, which posts the receivable payments are settled against.</summary>
    private async Task Issue(string invoiceId = InvoiceId, string grandTotal = "1500.00", string currency = "USD", string customerId = CustomerId)
    {
        var data = InvoiceIssued();
        data["invoiceId"] = invoiceId;
        data["customerId"] = customerId;
        data["currency"] = currency;
        data["subtotal"] = grandTotal;
        data["taxTotal"] = "0";
        data["grandTotal"] = grandTotal;
        data["lineItems"]![0]!["total"] = grandTotal;
        var posted = await Pipeline.ProcessAsync(Envelope(EventTypes.Collector.InvoiceIssued, Tenant, data, "2024-01-15T15:00:00.000Z"), new SyncInvoice(Tables));
        Assert.Equal(ProcessingStatus.Completed, posted.Status);
    }

    private string PaymentId(string invoiceId = InvoiceId, string amount = "1500.00", string date = "2024-01-16T10:00:00.0000000Z", string currency = "USD") =>
        DerivedIds.Uuid("payment", Tenant, invoiceId, date, amount, currency);

    [Fact]
    public async Task Seed_payment_settles_the_invoice_on_the_customers_account()
    {
        await Issue();

        var result = await Pay();

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.Empty(result.Outcome.Events);
        Assert.Equal(
        [
            new Payment
            {
                PaymentId = PaymentId(), TenantId = Tenant, CustomerId = CustomerId, InvoiceId = InvoiceId, InvoiceNumber = "INV-2024-001",
                Amount = 1500.00m, AppliedAmount = 1500.00m, CreditAmount = 0m, OutstandingAmount = 0m, Currency = "USD", PaymentMethod = "STRIPE", PaymentDate = PaidAt,
            },
        ], result.Rows<Payment>());
        var account = await Account();
        Assert.NotNull(account);
        Assert.Equal(
        [
            new AccountPayment
            {
                PaymentId = PaymentId(), InvoiceId = InvoiceId, InvoiceNumber = "INV-2024-001", Amount = 1500.00m, AppliedAmount = 1500.00m,
                CreditAmount = 0m, OutstandingAmount = 0m, PaymentMethod = "STRIPE", PaymentDate = PaidAt,
            },
        ], account.Payments);
        Assert.Equal(new CustomerAccount
        {
            CustomerId = CustomerId, Currency = "USD", TotalPaid = 1500.00m, CreditBalance = 0m, LastPaymentDate = PaidAt, Payments = account.Payments,
        }, account);
    }

    [Fact]
    public async Task Payments_of_several_invoices_add_up_and_the_latest_date_is_kept()
    {
        await Issue("inv-1", "99.95");
        await Issue("inv-2", "200.10");
        await Pay(InvoicePaid("inv-2", "200.10", paymentDate: "2024-02-01T09:00:00.000Z"));
        await Pay(InvoicePaid("inv-1", "99.95", paymentDate: "2024-01-20T09:00:00.000Z"));

        var account = await Account();

        Assert.Equal((300.05m, 0m, new DateTimeOffset(2024, 2, 1, 9, 0, 0, TimeSpan.Zero)), (account!.TotalPaid, account.CreditBalance, account.LastPaymentDate));
        Assert.Equal(["inv-1", "inv-2"], account.Payments.Select(p => p.InvoiceId)); // in payment date order
    }

    [Fact]
    public async Task Duplicate_replays_and_a_re_sent_copy_of_the_payment_is_recorded_once()
    {
        await Issue();
        var first = await Pay();

        var duplicate = await Pay();
        var resent = await Pay(timestamp: "2024-01-16T10:05:00.000Z");
        var rerun = await Pay(pipeline: Harness(Tables));

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(ProcessingStatus.Completed, resent.Status);
        Assert.Equal(first.Rows<Payment>(), resent.Rows<Payment>());
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
        var account = await Account();
        Assert.Equal(1500.00m, account!.TotalPaid);
        Assert.Single(account.Payments);
    }

    [Fact]
    public async Task A_further_payment_for_a_settled_invoice_is_an_overpayment_held_as_credit()
    {
        await Issue();
        await Pay();

        var extra = await Pay(InvoicePaid(amount: "50.00", paymentDate: "2024-01-18T08:00:00.000Z"));

        Assert.Equal(ProcessingStatus.Completed, extra.Status);
        var payment = Assert.Single(extra.Rows<Payment>());
        Assert.Equal((PaymentId(amount: "50.00", date: "2024-01-18T08:00:00.0000000Z"), 50.00m, 0m, 50.00m),
            (payment.PaymentId, payment.Amount, payment.AppliedAmount, payment.CreditAmount));
        var account = await Account();
        Assert.Equal((1550.00m, 50.00m), (account!.TotalPaid, account.CreditBalance));
    }

    [Fact]
    public async Task A_payment_in_another_currency_than_the_account_is_dead_lettered_and_changes_nothing()
    {
        await Issue();
        await Issue("inv-2", "100.00", "EUR");
        await Pay();

        var euros = await Pay(InvoicePaid("inv-2", "100.00", currency: "EUR"));

        Assert.Equal(ProcessingStatus.DeadLettered, euros.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue,
            $"Customer {CustomerId}'s account is in USD; a payment in EUR cannot be added without conversion.", "$.data.currency"), euros.Error);
        var account = await Account();
        Assert.Equal((1500.00m, 1), (account!.TotalPaid, account.Payments.Count));
        Assert.Null(await Balance("inv-2"));
    }

    [Fact]
    public async Task A_lower_case_currency_is_the_same_currency()
    {
        await Issue();
        await Issue("inv-2", "10.00");
        await Pay();

        var result = await Pay(InvoicePaid("inv-2", "10.00", currency: "usd"));

        Assert.Equal("USD", Assert.Single(result.Rows<Payment>()).Currency);
        Assert.Equal(1510.00m, (await Account())!.TotalPaid);
    }

    [Theory]
    [InlineData("0", "amount must be positive, but is 0.")]
    [InlineData("-1500.00", "amount must be positive, but is -1500.00.")]
    [InlineData("10.001", "amount must have at most 2 decimal places in USD, but is 10.001.")]
    public async Task An_amount_that_makes_no_sense_is_dead_lettered(string amount, string message)
    {
        await Issue();
        var result = await Pay(InvoicePaid(amount: amount));

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, message, "$.data.amount"), result.Error);
        Assert.Null(await Account());
    }

    [Fact]
    public async Task Concurrent_payments_for_one_customer_leave_the_exact_balance()
    {
        var amounts = Enumerable.Range(1, 8).Select(i => $"{i * 100 + i}.{i:D2}").ToArray(); // 101.01, 202.02, ...
        for (var i = 0; i < amounts.Length; i++) await Issue($"inv-{i}", amounts[i]);

        var results = await Task.WhenAll(amounts.Select((amount, i) =>
            Pay(InvoicePaid($"inv-{i}", amount), pipeline: Harness(Tables))));

        Assert.All(results, r => Assert.Equal(ProcessingStatus.Completed, r.Status));
        var account = await Account();
        Assert.Equal(3636.36m, account!.TotalPaid); // 101.01 x (1 + 2 + ... + 8)
        Assert.Equal(0m, account.CreditBalance);
        Assert.Equal(8, account.Payments.Count);
        Assert.Equal(amounts.Length, account.Payments.Select(p => p.PaymentId).Distinct().Count());
    }

    [Fact]
    public async Task Two_different_payments_racing_for_one_invoice_settle_it_once_and_the_other_is_credit()
    {
        await Issue();
        var results = await Task.WhenAll(
            Pay(InvoicePaid(amount: "1500.00", paymentDate: "2024-01-16T10:00:00.000Z"), pipeline: Harness(Tables)),
            Pay(InvoicePaid(amount: "1500.00", paymentDate: "2024-01-16T10:00:05.000Z"), pipeline: Harness(Tables)));

        var payments = results.Select(r => Assert.Single(r.Rows<Payment>())).ToArray();
        Assert.Equal((1500.00m, 1500.00m), (payments.Sum(p => p.AppliedAmount), payments.Sum(p => p.CreditAmount)));
        var account = await Account();
        Assert.Equal((3000.00m, 1500.00m, 2), (account!.TotalPaid, account.CreditBalance, account.Payments.Count));
    }

    [Fact]
    public async Task The_same_payment_delivered_twice_at_once_is_recorded_once()
    {
        await Issue();
        await Issue("inv-2", "20.00");
        // One worker pool: the second delivery meets the first one's lease, then replays its outcome.
        var together = await Task.WhenAll(Pay(), Pay());
        Assert.Contains(together, r => r.Status == ProcessingStatus.Completed);
        Assert.All(together, r => Assert.Contains(r.Status, new[] { ProcessingStatus.Completed, ProcessingStatus.Retry, ProcessingStatus.Duplicate }));

        // Two workers that do not share claims (a crashed worker's lease taken over): both run the handler.
        var crashed = await Task.WhenAll(Pay(InvoicePaid("inv-2", "20.00"), pipeline: Harness(Tables)), Pay(InvoicePaid("inv-2", "20.00"), pipeline: Harness(Tables)));
        Assert.All(crashed, r => Assert.Equal(ProcessingStatus.Completed, r.Status));
        Assert.Equal(crashed[0].Rows<Payment>(), crashed[1].Rows<Payment>());

        var account = await Account();
        Assert.Equal((1520.00m, 2), (account!.TotalPaid, account.Payments.Count));
    }

    [Fact]
    public async Task Instalments_accumulate_and_the_invoice_is_settled_when_they_reach_its_grand_total()
    {
        await Issue();

        var first = Assert.Single((await Pay(InvoicePaid(amount: "500.00", paymentDate: "2024-01-16T10:00:00.000Z"))).Rows<Payment>());
        var afterFirst = await Balance();
        var second = Assert.Single((await Pay(InvoicePaid(amount: "700.00", paymentDate: "2024-01-20T10:00:00.000Z"))).Rows<Payment>());
        var third = Assert.Single((await Pay(InvoicePaid(amount: "300.00", paymentDate: "2024-02-01T10:00:00.000Z"))).Rows<Payment>());

        Assert.Equal((500.00m, 0m, 1000.00m), (first.AppliedAmount, first.CreditAmount, first.OutstandingAmount));
        Assert.False(afterFirst!.Settled);
        Assert.Equal((700.00m, 0m, 300.00m), (second.AppliedAmount, second.CreditAmount, second.OutstandingAmount));
        Assert.Equal((300.00m, 0m, 0m), (third.AppliedAmount, third.CreditAmount, third.OutstandingAmount));
        var balance = await Balance();
        Assert.Equal((1500.00m, 0m, true), (balance!.Paid, balance.Outstanding, balance.Settled));
        var account = await Account();
        Assert.Equal((1500.00m, 0m, 3), (account!.TotalPaid, account.CreditBalance, account.Payments.Count));
    }

    [Fact]
    public async Task An_instalment_beyond_what_is_owed_is_credit_for_exactly_the_excess()
    {
        await Issue();
        await Pay(InvoicePaid(amount: "1000.00", paymentDate: "2024-01-16T10:00:00.000Z"));

        var last = Assert.Single((await Pay(InvoicePaid(amount: "800.00", paymentDate: "2024-01-20T10:00:00.000Z"))).Rows<Payment>());

        Assert.Equal((800.00m, 500.00m, 300.00m, 0m), (last.Amount, last.AppliedAmount, last.CreditAmount, last.OutstandingAmount));
        var account = await Account();
        Assert.Equal((1800.00m, 300.00m), (account!.TotalPaid, account.CreditBalance));
        Assert.True((await Balance())!.Settled);
    }

    [Fact]
    public async Task Racing_instalments_add_up_exactly_and_only_the_excess_is_credit()
    {
        await Issue();

        // Six workers at once, 6 x 300.00 against 1500.00: five settle it, the sixth is credit, whatever the order.
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            Pay(InvoicePaid(amount: "300.00", paymentDate: $"2024-01-16T10:00:0{i}.000Z"), pipeline: Harness(Tables))));

        Assert.All(results, r => Assert.Equal(ProcessingStatus.Completed, r.Status));
        var payments = results.Select(r => Assert.Single(r.Rows<Payment>())).ToArray();
        Assert.Equal((1500.00m, 300.00m), (payments.Sum(p => p.AppliedAmount), payments.Sum(p => p.CreditAmount)));
        Assert.Equal(0m, payments.Min(p => p.OutstandingAmount));
        Assert.Equal([0m, 300m, 600m, 900m, 1200m], payments.Where(p => p.AppliedAmount > 0).Select(p => p.OutstandingAmount).Order());
        var balance = await Balance();
        Assert.Equal((5, 1500.00m, true), (balance!.Applied.Count, balance.Paid, balance.Settled));
        var account = await Account();
        Assert.Equal((1800.00m, 300.00m, 6), (account!.TotalPaid, account.CreditBalance, account.Payments.Count));
    }

    [Fact]
    public async Task A_payment_from_another_customer_than_the_invoices_is_dead_lettered_and_changes_nothing()
    {
        await Issue(customerId: "c0ffee00-0000-4000-8000-000000000999");

        var result = await Pay();

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue,
            $"Invoice INV-2024-001 belongs to customer c0ffee00-0000-4000-8000-000000000999; a payment from customer {CustomerId} cannot settle it.",
            "$.data.customerId"), result.Error);
        Assert.Empty(result.Outcome.Records);
        Assert.Null(await Account());
        Assert.Null(await Balance());
    }

    [Fact]
    public async Task A_payment_in_another_currency_than_the_invoices_is_dead_lettered_and_changes_nothing()
    {
        await Issue(currency: "EUR");

        var result = await Pay(); // USD, the customer's first payment: no account currency stands in the way

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue,
            "Invoice INV-2024-001 is in EUR; a payment in USD cannot settle it without conversion.", "$.data.currency"), result.Error);
        Assert.Null(await Account());
        Assert.Null(await Balance());
    }

    [Fact]
    public async Task A_payment_for_an_invoice_not_posted_yet_is_retried_and_counts_once_it_is()
    {
        var early = await Pay();
        await Issue();
        var retried = await Pay();

        Assert.Equal(ProcessingStatus.Retry, early.Status);
        Assert.Equal(ProcessingStatus.Completed, retried.Status);
        Assert.Equal(1500.00m, Assert.Single(retried.Rows<Payment>()).AppliedAmount);
    }

    [Theory]
    [InlineData("JPY", "150000", "150000.5", "amount must have at most 0 decimal places in JPY, but is 150000.5.")]
    [InlineData("KWD", "450.125", "450.1255", "amount must have at most 3 decimal places in KWD, but is 450.1255.")]
    public async Task Amounts_are_held_in_the_currencys_minor_units(string currency, string total, string tooFine, string message)
    {
        await Issue(grandTotal: total, currency: currency);

        var refused = await Pay(InvoicePaid(amount: tooFine, currency: currency, paymentDate: "2024-01-16T09:00:00.000Z"));
        var paid = await Pay(InvoicePaid(amount: total, currency: currency));

        Assert.Equal(new EventError(EventErrorCode.InvalidValue, message, "$.data.amount"), refused.Error);
        var payment = Assert.Single(paid.Rows<Payment>());
        Assert.Equal((decimal.Parse(total, System.Globalization.CultureInfo.InvariantCulture), 0m, currency),
            (payment.AppliedAmount, payment.OutstandingAmount, payment.Currency));
        Assert.Equal(PaymentId(amount: total, currency: currency), payment.PaymentId);
    }

    [Fact]
    public async Task An_unknown_currency_code_is_dead_lettered()
    {
        var result = await Pay(InvoicePaid(currency: "XYZ"));

        Assert.Equal(new EventError(EventErrorCode.InvalidValue,
            "currency 'XYZ' is not an ISO 4217 currency this system can hold amounts in.", "$.data.currency"), result.Error);
        Assert.Null(await Account());
    }

    [Fact]
    public async Task A_payment_against_a_zero_invoice_is_dead_lettered()
    {
        await Issue(grandTotal: "0.00");

        var result = await Pay(InvoicePaid(amount: "10.00"));

        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "Invoice INV-2024-001 totals 0; there is nothing to pay against it.", "$.data.invoiceId"), result.Error);
        Assert.Null(await Account());
    }
}
