using System.Text.Json.Nodes;
using EventProcessors.Contracts;
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
        for (var i = 0; i < invoices; i++)
        {
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

    private string PaymentId(string invoiceId = InvoiceId, string amount = "1500.00", string date = "2024-01-16T10:00:00.0000000Z", string currency = "USD") =>
        DerivedIds.Uuid("payment", Tenant, invoiceId, date, amount, currency);

    [Fact]
    public async Task Seed_payment_settles_the_invoice_on_the_customers_account()
    {
        var result = await Pay();

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.Empty(result.Outcome.Events);
        Assert.Equal(
        [
            new Payment
            {
                PaymentId = PaymentId(), TenantId = Tenant, CustomerId = CustomerId, InvoiceId = InvoiceId, InvoiceNumber = "INV-2024-001",
                Amount = 1500.00m, AppliedAmount = 1500.00m, CreditAmount = 0m, Currency = "USD", PaymentMethod = "STRIPE", PaymentDate = PaidAt,
            },
        ], result.Rows<Payment>());
        var account = await Account();
        Assert.NotNull(account);
        Assert.Equal(
        [
            new AccountPayment
            {
                PaymentId = PaymentId(), InvoiceId = InvoiceId, InvoiceNumber = "INV-2024-001", Amount = 1500.00m, AppliedAmount = 1500.00m,
                CreditAmount = 0m, PaymentMethod = "STRIPE", PaymentDate = PaidAt,
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
        await Pay(InvoicePaid("inv-2", "200.10", paymentDate: "2024-02-01T09:00:00.000Z"));
        await Pay(InvoicePaid("inv-1", "99.95", paymentDate: "2024-01-20T09:00:00.000Z"));

        var account = await Account();

        Assert.Equal((300.05m, 0m, new DateTimeOffset(2024, 2, 1, 9, 0, 0, TimeSpan.Zero)), (account!.TotalPaid, account.CreditBalance, account.LastPaymentDate));
        Assert.Equal(["inv-1", "inv-2"], account.Payments.Select(p => p.InvoiceId)); // in payment date order
    }

    [Fact]
    public async Task Duplicate_replays_and_a_re_sent_copy_of_the_payment_is_recorded_once()
    {
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
        await Pay();

        var euros = await Pay(InvoicePaid("inv-2", "100.00", currency: "EUR"));

        Assert.Equal(ProcessingStatus.DeadLettered, euros.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue,
            $"Customer {CustomerId}'s account is in USD; a payment in EUR cannot be added without conversion.", "$.data.currency"), euros.Error);
        var account = await Account();
        Assert.Equal((1500.00m, 1), (account!.TotalPaid, account.Payments.Count));
    }

    [Fact]
    public async Task A_lower_case_currency_is_the_same_currency()
    {
        await Pay();

        var result = await Pay(InvoicePaid("inv-2", "10.00", currency: "usd"));

        Assert.Equal("USD", Assert.Single(result.Rows<Payment>()).Currency);
        Assert.Equal(1510.00m, (await Account())!.TotalPaid);
    }

    [Theory]
    [InlineData("0", "amount must be positive, but is 0.")]
    [InlineData("-1500.00", "amount must be positive, but is -1500.00.")]
    [InlineData("10.001", "amount must have at most 2 decimal places, but is 10.001.")]
    public async Task An_amount_that_makes_no_sense_is_dead_lettered(string amount, string message)
    {
        var result = await Pay(InvoicePaid(amount: amount));

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, message, "$.data.amount"), result.Error);
        Assert.Null(await Account());
    }

    [Fact]
    public async Task Concurrent_payments_for_one_customer_leave_the_exact_balance()
    {
        var amounts = Enumerable.Range(1, 8).Select(i => $"{i * 100 + i}.{i:D2}").ToArray(); // 101.01, 202.02, ...

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
}
