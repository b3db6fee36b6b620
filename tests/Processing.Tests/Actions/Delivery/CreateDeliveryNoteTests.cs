using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Delivery;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Pipeline;
using EventProcessors.TestSupport;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Delivery;

public sealed class CreateDeliveryNoteOnAzurite(AzuriteFixture azurite) : CreateDeliveryNoteTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class CreateDeliveryNoteInMemory : CreateDeliveryNoteTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

public abstract class CreateDeliveryNoteTests : ActionTests
{
    private const string ConfirmedAt = "2024-01-15T10:40:00.000Z";

    private Task<ProcessingResult> Confirm(JsonObject? order = null, string timestamp = ConfirmedAt, PipelineHarness? pipeline = null) =>
        (pipeline ?? Pipeline).ProcessAsync(Envelope(EventTypes.Collector.OrderConfirmed, Tenant, order ?? OrderConfirmed(), timestamp), new CreateDeliveryNote(Tables));

    private string ExpectedNoteId => DerivedIds.Uuid("delivery-note", Tenant, OrderId);

    [Fact]
    public async Task Confirmed_order_gets_a_delivery_note_with_every_line()
    {
        var result = await Confirm();

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        var created = Assert.Single(result.Outcome.Events);
        Assert.Equal(EventTypes.Collector.DeliveryNoteCreated, created.Type);
        Assert.Equal(ExpectedNoteId, created.PartitionKey);
        var note = created.Payload<DeliveryNoteCreated>();
        ConfirmedOrderLineItem[] expectedLines = [new() { ProductId = ProductId, Description = "Product Name", Quantity = 5m, Unit = "pcs" }];
        Assert.Equal(expectedLines, note.LineItems);
        Assert.Equal(new DeliveryNoteCreated
        {
            DeliveryNoteId = ExpectedNoteId,
            DeliveryNumber = "DN-2024-001",
            OrderId = OrderId,
            OrderNumber = "ORD-2024-001",
            CustomerId = CustomerId,
            ShippingAddressId = "addr-1",
            LineItems = note.LineItems,
        }, note);
        Assert.Equal(
        [
            new DeliveryNote
            {
                DeliveryNoteId = ExpectedNoteId, TenantId = Tenant, DeliveryNumber = "DN-2024-001", OrderId = OrderId, OrderNumber = "ORD-2024-001",
                CustomerId = CustomerId, ShippingAddressId = "addr-1", Status = "CREATED", CreatedAt = DateTimeOffset.Parse(ConfirmedAt),
            },
        ], result.Rows<DeliveryNote>());
        Assert.Equal(
        [
            new DeliveryNoteLine { DeliveryNoteId = ExpectedNoteId, LineNumber = 1, TenantId = Tenant, ProductId = ProductId, Description = "Product Name", Quantity = 5m, Unit = "pcs" },
        ], result.Rows<DeliveryNoteLine>());
    }

    [Fact]
    public async Task Lines_keep_their_order_and_fractional_quantities()
    {
        var order = OrderConfirmed();
        ((JsonArray)order["lineItems"]!).Add(new JsonObject { ["productId"] = "p-cable", ["description"] = "Cable", ["quantity"] = 12.5, ["unit"] = "m" });

        var result = await Confirm(order);

        Assert.Equal([(1, ProductId, 5m, "pcs"), (2, "p-cable", 12.5m, "m")],
            result.Rows<DeliveryNoteLine>().Select(l => (l.LineNumber, l.ProductId, l.Quantity, l.Unit)));
    }

    [Fact]
    public async Task Duplicate_replays_re_run_repeats_and_a_re_sent_confirmation_creates_no_second_note()
    {
        var first = await Confirm();

        var duplicate = await Confirm();
        var rerun = await Confirm(pipeline: Harness(Tables));
        var resent = await Confirm(timestamp: "2024-01-15T12:00:00.000Z");

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(ProcessingStatus.Completed, rerun.Status);
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
        Assert.Equal(ProcessingStatus.Completed, resent.Status);
        Assert.True(resent.Outcome.IsEmpty);
    }

    [Fact]
    public async Task Invalid_orders_are_dead_lettered_with_the_reason()
    {
        var zero = OrderConfirmed();
        zero["lineItems"]![0]!["quantity"] = 0;
        var noAddress = OrderConfirmed();
        noAddress["shippingAddressId"] = "";
        var noLines = OrderConfirmed();
        noLines["lineItems"] = new JsonArray();

        var results = new[] { await Confirm(zero), await Confirm(noAddress), await Confirm(noLines) };

        Assert.All(results, r => Assert.Equal(ProcessingStatus.DeadLettered, r.Status));
        Assert.Equal(
        [
            new EventError(EventErrorCode.InvalidValue, "quantity must be positive, but is 0.", "$.data.lineItems[0].quantity"),
            new EventError(EventErrorCode.InvalidValue, "shippingAddressId must not be blank.", "$.data.shippingAddressId"),
            new EventError(EventErrorCode.InvalidValue, "lineItems must not be empty.", "$.data.lineItems"),
        ], results.Select(r => r.Error));
        Assert.Null(await new DocumentOrigins(Tables).GetAsync(Tenant, "delivery-note", OrderId, CancellationToken.None));
    }
}
