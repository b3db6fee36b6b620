using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Orders;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Pipeline;
using EventProcessors.TestSupport;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Orders;

public sealed class CreateOrderFromOfferOnAzurite(AzuriteFixture azurite) : CreateOrderFromOfferTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class CreateOrderFromOfferInMemory : CreateOrderFromOfferTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

public abstract class CreateOrderFromOfferTests : ActionTests
{
    private CreateOrderFromOffer Action() => new(Tables);

    private Task<ProcessingResult> Approve(JsonObject offer, string timestamp = "2024-01-15T10:30:00.000Z", PipelineHarness? pipeline = null) =>
        (pipeline ?? Pipeline).ProcessAsync(Envelope(EventTypes.Collector.OfferApproved, Tenant, offer, timestamp), Action());

    private string ExpectedOrderId => DerivedIds.Uuid("order", Tenant, OfferId);

    [Fact]
    public async Task Seed_offer_becomes_an_order_with_discounted_and_taxed_totals()
    {
        var result = await Approve(OfferApproved());

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        var created = Assert.Single(result.Outcome.Events);
        Assert.Equal(EventTypes.Collector.OrderCreated, created.Type);
        Assert.Equal(ExpectedOrderId, created.PartitionKey);
        Assert.Equal(Tenant, created.TenantId);
        Assert.Equal(result.Event!.Id, created.CausationId);
        var order = created.Payload<OrderCreated>();
        OrderLineItem[] expectedLines =
        [
            new() { ProductId = ProductId, Description = "Product Name", Quantity = 5m, UnitPrice = 300.00m, DiscountPercent = 10m, TaxPercent = 20m },
        ];
        Assert.Equal(expectedLines, order.LineItems);
        Assert.Equal(new OrderCreated
        {
            OrderId = ExpectedOrderId,
            OrderNumber = "ORD-2024-001",
            CustomerId = CustomerId,
            OfferId = OfferId,
            Currency = "USD",
            GrandTotal = 1620.00m, // 5 x 300.00 = 1500.00, -10% = 1350.00, +20% tax 270.00
            OfferGrandTotal = 1500.00m, // what the seed's offer states; the invoice will show the difference
            LineItems = order.LineItems,
        }, order);

        Assert.Equal(
        [
            new Order
            {
                OrderId = ExpectedOrderId, TenantId = Tenant, OrderNumber = "ORD-2024-001", OfferId = OfferId, OfferNumber = "OFF-2024-001",
                CustomerId = CustomerId, Currency = "USD", Status = "PENDING", Subtotal = 1350.00m, TaxTotal = 270.00m, GrandTotal = 1620.00m,
                CreatedAt = new DateTimeOffset(2024, 1, 15, 10, 30, 0, TimeSpan.Zero),
            },
        ], result.Rows<Order>());
        Assert.Equal(
        [
            new OrderLine
            {
                OrderId = ExpectedOrderId, LineNumber = 1, TenantId = Tenant, ProductId = ProductId, Description = "Product Name",
                Quantity = 5m, UnitPrice = 300.00m, DiscountPercent = 10m, DiscountAmount = 150.00m, NetAmount = 1350.00m,
                TaxPercent = 20m, TaxAmount = 270.00m, LineTotal = 1620.00m,
            },
        ], result.Rows<OrderLine>());
    }

    [Fact]
    public async Task Each_line_rounds_its_discount_and_tax_half_away_from_zero_and_totals_add_the_rounded_lines()
    {
        var offer = OfferApproved();
        offer["lineItems"] = new JsonArray(
            // 10.10 x 5% = 0.505 -> 0.51 (banker's rounding would give 0.50); net 9.59 x 15% = 1.4385 -> 1.44
            new JsonObject { ["productId"] = "p-1", ["description"] = "Bolt", ["quantity"] = "1", ["unitPrice"] = "10.10", ["discountPercent"] = "5", ["taxPercent"] = "15" },
            // 2 x 0.25 = 0.50 x 1% = 0.005 -> 0.01; no discount given
            new JsonObject { ["productId"] = "p-2", ["description"] = "Washer", ["quantity"] = "2", ["unitPrice"] = "0.25", ["taxPercent"] = "1" },
            // neither discount nor tax
            new JsonObject { ["productId"] = "p-3", ["description"] = "Nut", ["quantity"] = "2.5", ["unitPrice"] = "4.00" });

        var result = await Approve(offer);

        var lines = result.Rows<OrderLine>();
        Assert.Equal([(0.51m, 9.59m, 1.44m, 11.03m), (0m, 0.50m, 0.01m, 0.51m), (0m, 10.00m, 0m, 10.00m)],
            lines.Select(l => (l.DiscountAmount, l.NetAmount, l.TaxAmount, l.LineTotal)));
        var order = Assert.Single(result.Rows<Order>());
        Assert.Equal((20.09m, 1.45m, 21.54m), (order.Subtotal, order.TaxTotal, order.GrandTotal));
        var payload = Assert.Single(result.Outcome.Events).Payload<OrderCreated>();
        Assert.Equal(21.54m, payload.GrandTotal);
        Assert.Null(payload.LineItems[1].DiscountPercent); // absent stays absent, as Collector sends it
        Assert.Equal((0m, 0m), (lines[2].DiscountPercent, lines[2].TaxPercent));
    }

    [Fact]
    public async Task A_full_discount_and_a_free_line_are_allowed_and_total_zero()
    {
        var offer = OfferApproved();
        offer["lineItems"]![0]!["discountPercent"] = "100";
        ((JsonArray)offer["lineItems"]!).Add(new JsonObject { ["productId"] = "p-free", ["description"] = "Sample", ["quantity"] = "1", ["unitPrice"] = "0", ["taxPercent"] = "20" });

        var result = await Approve(offer);

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        var order = Assert.Single(result.Rows<Order>());
        Assert.Equal((0m, 0m, 0m), (order.Subtotal, order.TaxTotal, order.GrandTotal));
    }

    [Fact]
    public async Task An_offer_number_without_the_OFF_prefix_is_kept_whole_in_the_order_number()
    {
        var offer = OfferApproved();
        offer["offerNumber"] = "Q-77";

        var result = await Approve(offer);

        Assert.Equal("ORD-Q-77", Assert.Single(result.Outcome.Events).Payload<OrderCreated>().OrderNumber);
    }

    [Fact]
    public async Task Duplicate_delivery_replays_the_same_order()
    {
        var first = await Approve(OfferApproved());

        var second = await Approve(OfferApproved());

        Assert.Equal(ProcessingStatus.Duplicate, second.Status);
        Assert.Equal(first.Snapshot(), second.Snapshot());
    }

    [Fact]
    public async Task A_re_run_after_a_crash_emits_the_same_order_and_rows()
    {
        var first = await Approve(OfferApproved());

        // A worker that died before completing its claim: the event runs again on the same state.
        var rerun = await Approve(OfferApproved(), pipeline: Harness(Tables));

        Assert.Equal(ProcessingStatus.Completed, rerun.Status);
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
    }

    [Fact]
    public async Task A_re_sent_approval_of_the_same_offer_creates_no_second_order()
    {
        var first = await Approve(OfferApproved());

        var resent = await Approve(OfferApproved(), timestamp: "2024-01-15T10:31:00.000Z");

        Assert.Equal(ProcessingStatus.Completed, resent.Status);
        Assert.NotEqual(first.Event!.Id, resent.Event!.Id);
        Assert.True(resent.Outcome.IsEmpty);
        var origin = await new DocumentOrigins(Tables).GetAsync(Tenant, "order", OfferId, CancellationToken.None);
        Assert.Equal(new DocumentOrigin(ExpectedOrderId, first.Event.Id), origin);
    }

    [Fact]
    public async Task Concurrent_approvals_of_one_offer_create_exactly_one_order()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            Approve(OfferApproved(), timestamp: $"2024-01-15T10:3{i}:00.000Z", pipeline: Harness(Tables))));

        Assert.All(results, r => Assert.Equal(ProcessingStatus.Completed, r.Status));
        var creators = results.Where(r => !r.Outcome.IsEmpty).ToArray();
        Assert.Equal(ExpectedOrderId, Assert.Single(Assert.Single(creators).Outcome.Events).Payload<OrderCreated>().OrderId);
    }

    [Fact]
    public async Task Same_offer_in_twoTenants_makes_two_distinct_orders()
    {
        var other = NewTenant();

        var mine = await Approve(OfferApproved());
        var theirs = await Pipeline.ProcessAsync(Envelope(EventTypes.Collector.OfferApproved, other, OfferApproved()), Action());

        Assert.Equal(DerivedIds.Uuid("order", other, OfferId), Assert.Single(theirs.Outcome.Events).Payload<OrderCreated>().OrderId);
        Assert.NotEqual(Assert.Single(mine.Outcome.Events).PartitionKey, Assert.Single(theirs.Outcome.Events).PartitionKey);
    }

    public static TheoryData<string, JsonNode?, string, string> InvalidLines => new()
    {
        { "productId", null, "$.data.lineItems[0].productId", "Offer line 1 ('Product Name') names no product; an order line must." },
        { "quantity", "0", "$.data.lineItems[0].quantity", "quantity must be positive, but is 0." },
        { "quantity", "-5", "$.data.lineItems[0].quantity", "quantity must be positive, but is -5." },
        { "unitPrice", "-300.00", "$.data.lineItems[0].unitPrice", "unitPrice must not be negative, but is -300.00." },
        { "discountPercent", "120", "$.data.lineItems[0].discountPercent", "discountPercent must be between 0 and 100, but is 120." },
        { "taxPercent", "-1", "$.data.lineItems[0].taxPercent", "taxPercent must be between 0 and 100, but is -1." },
    };

    [Theory]
    [MemberData(nameof(InvalidLines))]
    public async Task A_line_that_makes_no_sense_is_dead_lettered_with_the_reason(string field, JsonNode? value, string path, string message)
    {
        var offer = OfferApproved();
        offer["lineItems"]![0]![field] = value;

        var result = await Approve(offer);

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, message, path), result.Error);
        Assert.Null(await new DocumentOrigins(Tables).GetAsync(Tenant, "order", OfferId, CancellationToken.None));
    }

    [Fact]
    public async Task An_offer_without_lines_or_with_an_unknown_currency_is_dead_lettered()
    {
        var empty = OfferApproved();
        empty["lineItems"] = new JsonArray();
        var currency = OfferApproved();
        currency["currency"] = "Dollars";

        var noLines = await Approve(empty);
        var badCurrency = await Approve(currency);

        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "lineItems must not be empty.", "$.data.lineItems"), noLines.Error);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "currency must be a 3-letter ISO 4217 code, but is 'Dollars'.", "$.data.currency"), badCurrency.Error);
    }

    [Theory]
    [InlineData("JPY", "3", "1234.5", "10", "8", 3704, 370, 3334, 267, 3601)] // 3 x 1234.5 = 3703.5 -> 3704 yen; 370.4 -> 370; 266.72 -> 267
    [InlineData("KWD", "3", "12.3455", "10", "5", 37.037, 3.704, 33.333, 1.667, 35.000)] // 37.0365 -> 37.037; 3.7037 -> 3.704; 1.66665 -> 1.667
    [InlineData("USD", "3", "12.3455", "10", "5", 37.04, 3.70, 33.34, 1.67, 35.01)]
    public async Task Lines_are_priced_in_the_currencys_minor_units(string currency, string quantity, string unitPrice, string discount, string tax,
        double gross, double discountAmount, double net, double taxAmount, double lineTotal)
    {
        var offer = OfferApproved();
        offer["currency"] = currency;
        offer["lineItems"] = new JsonArray(new JsonObject
        {
            ["productId"] = "p-1", ["description"] = "Valve", ["quantity"] = quantity, ["unitPrice"] = unitPrice, ["discountPercent"] = discount, ["taxPercent"] = tax,
        });

        var result = await Approve(offer);

        var line = Assert.Single(result.Rows<OrderLine>());
        Assert.Equal(((decimal)discountAmount, (decimal)net, (decimal)taxAmount, (decimal)lineTotal), (line.DiscountAmount, line.NetAmount, line.TaxAmount, line.LineTotal));
        Assert.Equal((decimal)gross, line.NetAmount + line.DiscountAmount);
        Assert.Equal(((decimal)lineTotal, currency), (Assert.Single(result.Rows<Order>()).GrandTotal, Assert.Single(result.Outcome.Events).Payload<OrderCreated>().Currency));
    }

    [Fact]
    public async Task An_offer_in_an_unknown_currency_is_dead_lettered()
    {
        var offer = OfferApproved();
        offer["currency"] = "EUX";

        var result = await Approve(offer);

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "currency 'EUX' is not an ISO 4217 currency this system can hold amounts in.", "$.data.currency"), result.Error);
        Assert.True(result.Outcome.IsEmpty);
    }
}
