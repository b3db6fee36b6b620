using System.Text.Json;
using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions.Invoicing;
using EventProcessors.Processing.Actions.Invoicing.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Pipeline;
using EventProcessors.TestSupport;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Invoicing;

public sealed class CaptureOrderOnAzurite(AzuriteFixture azurite) : CaptureOrderTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class CaptureOrderInMemory : CaptureOrderTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

public abstract class CaptureOrderTests : ActionTests
{
    private const string CreatedAt = "2024-01-15T10:35:00.000Z";
    private const string ConfirmedAt = "2024-01-15T10:40:00.000Z";

    private Task<ProcessingResult> Capture(string type, JsonObject data, string timestamp, string? tenant = null, PipelineHarness? pipeline = null) =>
        (pipeline ?? Pipeline).ProcessAsync(Envelope(type, tenant ?? Tenant, data, timestamp), new CaptureOrder(Tables));

    private Task<ProcessingResult> Created(JsonObject? data = null, string timestamp = CreatedAt, string? tenant = null, PipelineHarness? pipeline = null) =>
        Capture(EventTypes.Collector.OrderCreated, data ?? OrderCreated(), timestamp, tenant, pipeline);

    private Task<ProcessingResult> Confirmed(JsonObject? data = null, string timestamp = ConfirmedAt, string? tenant = null, PipelineHarness? pipeline = null) =>
        Capture(EventTypes.Collector.OrderConfirmed, data ?? OrderConfirmed(), timestamp, tenant, pipeline);

    private Task<OrderSnapshot?> Snapshot(string? tenant = null) => new OrderSnapshots(Tables).GetAsync(tenant ?? Tenant, OrderId, CancellationToken.None);

    private static string Json(OrderSnapshot? snapshot) => JsonSerializer.Serialize(snapshot, ContractJson.Options);

    [Fact]
    public async Task Order_created_keeps_the_priced_lines_invoicing_needs_and_emits_nothing()
    {
        var result = await Created();

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.True(result.Outcome.IsEmpty);
        var snapshot = await Snapshot();
        Assert.NotNull(snapshot);
        Assert.Null(snapshot.Confirmed);
        Assert.False(snapshot.IsComplete);
        var priced = snapshot.Created!;
        Assert.Equal(
        [
            new PricedOrderLine { ProductId = ProductId, Sku = "SKU-123", Description = "Product Name", Quantity = 5m, UnitPrice = 300.00m, DiscountPercent = 10m, TaxPercent = 20m },
        ], priced.Lines);
        Assert.Equal(new PricedOrder
        {
            OrderNumber = "ORD-2024-001", CustomerId = CustomerId, OfferId = OfferId, Currency = "USD", GrandTotal = 1620.00m,
            Lines = priced.Lines, CreatedAt = DateTimeOffset.Parse(CreatedAt),
        }, priced);
    }

    [Fact]
    public async Task Order_confirmed_after_created_enriches_the_snapshot()
    {
        await Created();

        var result = await Confirmed();

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.True(result.Outcome.IsEmpty);
        var snapshot = await Snapshot();
        Assert.True(snapshot!.IsComplete);
        var confirmed = snapshot.Confirmed!;
        Assert.Equal([new ConfirmedOrderLine { ProductId = ProductId, Description = "Product Name", Quantity = 5m, Unit = "pcs" }], confirmed.Lines);
        Assert.Equal(new ConfirmedOrder
        {
            OrderNumber = "ORD-2024-001", CustomerId = CustomerId, ShippingAddressId = "addr-1", Lines = confirmed.Lines, ConfirmedAt = DateTimeOffset.Parse(ConfirmedAt),
        }, confirmed);
        Assert.Equal(1620.00m, snapshot.Created!.GrandTotal);
    }

    [Fact]
    public async Task Confirmed_before_created_ends_in_the_same_full_snapshot()
    {
        var otherTenant = NewTenant();
        await Created();
        await Confirmed();

        Assert.Equal(ProcessingStatus.Completed, (await Confirmed(tenant: otherTenant)).Status);
        var halfway = await Snapshot(otherTenant);
        Assert.Null(halfway!.Created);
        Assert.NotNull(halfway.Confirmed);
        Assert.Equal(ProcessingStatus.Completed, (await Created(tenant: otherTenant)).Status);

        var inOrder = await Snapshot();
        var reversed = await Snapshot(otherTenant);
        Assert.True(reversed!.IsComplete);
        Assert.Equal(Json(inOrder), Json(reversed));
    }

    [Fact]
    public async Task Created_and_confirmed_arriving_at_once_both_land()
    {
        for (var round = 0; round < 5; round++)
        {
            var tenant = NewTenant();
            var results = await Task.WhenAll(Created(tenant: tenant, pipeline: Harness(Tables)), Confirmed(tenant: tenant, pipeline: Harness(Tables)));

            Assert.All(results, r => Assert.Equal(ProcessingStatus.Completed, r.Status));
            Assert.True((await Snapshot(tenant))!.IsComplete);
        }
    }

    [Fact]
    public async Task Duplicates_and_re_sent_copies_change_nothing()
    {
        await Created();
        await Confirmed();
        var before = Json(await Snapshot());

        var duplicate = await Created();
        var resentCreated = await Created(timestamp: "2024-01-15T11:00:00.000Z");
        var resentConfirmed = await Confirmed(timestamp: "2024-01-15T11:05:00.000Z");

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(ProcessingStatus.Completed, resentCreated.Status);
        Assert.Equal(ProcessingStatus.Completed, resentConfirmed.Status);
        Assert.Equal(before, Json(await Snapshot()));
    }

    public static TheoryData<string, string, JsonNode?, string, string> InvalidFields => new()
    {
        { EventTypes.Collector.OrderCreated, "quantity", "0", "$.data.lineItems[0].quantity", "quantity must be positive, but is 0." },
        { EventTypes.Collector.OrderCreated, "unitPrice", "-1", "$.data.lineItems[0].unitPrice", "unitPrice must not be negative, but is -1." },
        { EventTypes.Collector.OrderCreated, "discountPercent", "101", "$.data.lineItems[0].discountPercent", "discountPercent must be between 0 and 100, but is 101." },
        { EventTypes.Collector.OrderCreated, "productId", " ", "$.data.lineItems[0].productId", "productId must not be blank." },
        { EventTypes.Collector.OrderConfirmed, "quantity", "-5", "$.data.lineItems[0].quantity", "quantity must be positive, but is -5." },
    };

    [Theory]
    [MemberData(nameof(InvalidFields))]
    public async Task An_order_that_could_never_be_billed_is_dead_lettered_and_leaves_no_snapshot(string type, string field, JsonNode? value, string path, string message)
    {
        var data = type == EventTypes.Collector.OrderCreated ? OrderCreated() : OrderConfirmed();
        data["lineItems"]![0]![field] = value;

        var result = await Capture(type, data, CreatedAt);

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, message, path), result.Error);
        Assert.Null(await Snapshot());
    }
}
