using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Procurement;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Pipeline;
using EventProcessors.TestSupport;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Procurement;

public sealed class CreatePurchaseOrderOnAzurite(AzuriteFixture azurite) : CreatePurchaseOrderTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class CreatePurchaseOrderInMemory : CreatePurchaseOrderTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

public abstract class CreatePurchaseOrderTests
{
    private const string LowAt = "2024-01-15T11:00:00.000Z";

    private readonly string _tenant = NewTenant();
    private PipelineHarness? _harness;

    protected abstract ITableServiceClient Tables { get; }

    private PipelineHarness Pipeline => _harness ??= Harness(Tables);

    private static JsonObject Low(decimal current = 4m, decimal reorderLevel = 10m) => new()
    {
        ["productId"] = ProductId, ["productName"] = "Product Name", ["sku"] = "SKU-123", ["warehouseId"] = "wh-1", ["warehouseName"] = "Main",
        ["currentQuantity"] = current, ["minimumThreshold"] = 5, ["reorderLevel"] = reorderLevel,
    };

    private Task<ProcessingResult> Raise(JsonObject? low = null, PipelineHarness? pipeline = null, string timestamp = LowAt) =>
        (pipeline ?? Pipeline).ProcessAsync(Envelope(EventTypes.Collector.StockLow, _tenant, low ?? Low(), timestamp), new CreatePurchaseOrder(Tables));

    [Fact]
    public async Task Stock_low_raises_a_purchase_order_up_to_the_reorder_level()
    {
        var result = await Raise();

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        var created = Assert.Single(result.Outcome.Events);
        Assert.Equal(EventTypes.Collector.PurchaseOrderCreated, created.Type);
        var po = created.Payload<PurchaseOrderCreated>();
        var expectedId = DerivedIds.Uuid("purchase-order", _tenant, result.Event!.Id);
        var number = "PO-" + expectedId[..8].ToUpperInvariant();
        Assert.Equal(new PurchaseOrderCreated
        {
            PurchaseOrderId = expectedId, PurchaseOrderNumber = number, ProductId = ProductId, Sku = "SKU-123", WarehouseId = "wh-1",
            Quantity = 6m, CurrentQuantity = 4m, ReorderLevel = 10m,
        }, po);
        Assert.Equal(expectedId, created.PartitionKey);
        Assert.Equal(
        [
            new PurchaseOrder
            {
                PurchaseOrderId = expectedId, TenantId = _tenant, PurchaseOrderNumber = number, ProductId = ProductId, Sku = "SKU-123",
                WarehouseId = "wh-1", Quantity = 6m, Status = "OPEN", CreatedAt = DateTimeOffset.Parse(LowAt),
            },
        ], result.Rows<PurchaseOrder>());
    }

    [Fact]
    public async Task No_second_purchase_order_while_one_is_open_and_a_new_one_after_receipt()
    {
        var first = await Raise();
        var whileOpen = await Raise(Low(current: 2m), timestamp: "2024-01-15T12:00:00.000Z");
        await new Processing.Actions.Procurement.State.OpenPurchaseOrders(Tables).ReceiveAsync(_tenant, "wh-1", ProductId,
            first.Rows<PurchaseOrder>()[0].PurchaseOrderId, DateTimeOffset.Parse("2024-01-16T08:00:00Z"), CancellationToken.None);
        var afterReceipt = await Raise(Low(current: 3m), timestamp: "2024-01-17T12:00:00.000Z");

        Assert.True(whileOpen.Outcome.IsEmpty);
        Assert.Equal(7m, Assert.Single(afterReceipt.Outcome.Events).Payload<PurchaseOrderCreated>().Quantity);
    }

    [Fact]
    public async Task Concurrent_stock_lows_open_one_purchase_order()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            Task.Run(() => Raise(pipeline: Harness(Tables), timestamp: $"2024-01-15T11:00:0{i}.000Z"))));

        Assert.Single(results.SelectMany(r => r.Outcome.Events));
        Assert.Single(results.SelectMany(r => r.Rows<PurchaseOrder>()));
    }

    [Fact]
    public async Task Duplicate_replays_and_re_run_repeats()
    {
        var first = await Raise();
        var duplicate = await Raise();
        var rerun = await Raise(pipeline: Harness(Tables));

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(ProcessingStatus.Completed, rerun.Status);
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
    }

    [Fact]
    public async Task Stock_not_below_its_reorder_level_is_dead_lettered()
    {
        var result = await Raise(Low(current: 10m));

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "currentQuantity 10 is not below reorderLevel 10; nothing to order.", "$.data.currentQuantity"), result.Error);
    }
}
