using EventProcessors.Contracts;
using EventProcessors.Processing.Actions.Inventory;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Actions.Traceability;
using EventProcessors.Processing.Actions.Traceability.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Actions;
using EventProcessors.Processing.Tests.Pipeline;
using EventProcessors.TestSupport;
using Xunit.Abstractions;
using static EventProcessors.Processing.Tests.Actions.Inventory.InventoryEvents;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.State;

public sealed class StateScaleInMemory(ITestOutputHelper output) : StateScaleTests(output)
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
    protected override int OpenOrders => 10_000;
    protected override int Serials => 5_000;
}

/// <summary>
/// The same assertions on Azurite with fewer events: an event costs ten to a few hundred HTTP requests there, and 1,000
/// orders plus 1,000 serials already took over four minutes on two shared cores; 10,000 would take most of the suite's
/// budget. The in-memory class runs the full numbers through the same code; here the counts only need to be well past one.
/// </summary>
public sealed class StateScaleOnAzurite(AzuriteFixture azurite, ITestOutputHelper output) : StateScaleTests(output), IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
    protected override int OpenOrders => 100;
    protected override int Serials => 300;
}

/// <summary>
/// No hot or growing entity: state an event changes is read and written in rows of bounded size, so the requests an event
/// costs (counted on the table client) stay the same however many orders hold stock or serials a lot takes, and no stored
/// entity of the tenant grows past 64 KiB.
/// </summary>
public abstract class StateScaleTests(ITestOutputHelper output) : ActionTests
{
    private const long MaxEntityBytes = 64 * 1024;

    protected abstract int OpenOrders { get; }
    protected abstract int Serials { get; }

    [Fact]
    public async Task Thousands_of_open_reservations_on_one_product_cost_each_event_the_same_and_keep_every_entity_small()
    {
        var metered = new MeteredTables(Tables);
        var pipeline = Harness(metered.Tables);
        var stock = new StockLevels(Tables);
        await stock.DefineAsync(Tenant, Item(onHand: OpenOrders * 2m + 10m, reorderLevel: 0m, minimumThreshold: 0m));
        await stock.DefineAsync(Tenant, Item("p-fresh", onHand: 10m, reorderLevel: 0m, minimumThreshold: 0m));
        var reserve = new ReserveStock(metered.Tables);
        Task<ProcessingResult> Reserve(string orderId, string productId = Product) =>
            pipeline.ProcessAsync(Envelope(EventTypes.Collector.OrderCreated, Tenant, OrderCreatedWith(orderId, Line(2m, productId))), reserve);

        var costs = new List<TableCost>();
        for (var i = 0; i < OpenOrders; i++)
        {
            var cost = await metered.MeasureAsync(async () => Assert.Equal(ProcessingStatus.Completed, (await Reserve($"order-{i:D6}")).Status));
            if (i is 0 or 1 || i == OpenOrders / 2 || i == OpenOrders - 1) costs.Add(cost);
        }
        // Dispatching one of them costs what dispatching the only order of a fresh product costs.
        Assert.Equal(ProcessingStatus.Completed, (await Reserve("order-fresh", "p-fresh")).Status);
        var deduct = new DeductStock(metered.Tables);
        var crowded = await metered.MeasureAsync(() => pipeline.ProcessAsync(
            Envelope(EventTypes.Collector.DeliveryDispatched, Tenant, DeliveryDispatched("dn-000001", "order-000001", Line(2m))), deduct));
        var alone = await metered.MeasureAsync(() => pipeline.ProcessAsync(
            Envelope(EventTypes.Collector.DeliveryDispatched, Tenant, DeliveryDispatched("dn-fresh-", "order-fresh", Line(2m, "p-fresh"))), deduct));

        output.WriteLine($"reservation costs (1st, 2nd, middle, last): {string.Join("; ", costs)}");
        output.WriteLine($"dispatch among {OpenOrders} open orders: {crowded}; alone: {alone}");
        Assert.All(costs.Skip(1), c => Assert.Equal(costs[1].Requests, c.Requests));
        Assert.All(costs.Skip(1), c => AssertAbout(costs[1].BytesWritten, c.BytesWritten));
        Assert.Equal(alone.Requests, crowded.Requests);
        var level = (await stock.GetAsync(Tenant, Product, Warehouse))!;
        Assert.Equal(((OpenOrders - 1) * 2m, OpenOrders * 2m + 8m), (level.Reserved, level.OnHand));
        Assert.Equal(OpenOrders - 1, (await stock.ReservationsAsync(Tenant, Product, Warehouse)).Count);
        await AssertEveryEntitySmallAsync([StockLevels.TableName, OrderReservations.TableName, StockDispatches.TableName], pipeline);
    }

    [Fact]
    public async Task Thousands_of_serials_issued_into_one_lot_cost_each_issue_the_same_and_keep_every_entity_small()
    {
        var metered = new MeteredTables(Tables);
        var pipeline = Harness(metered.Tables);
        var record = new RecordGenealogy(metered.Tables);
        Task<ProcessingResult> Deliver(string type, System.Text.Json.Nodes.JsonObject data, string eventId) =>
            pipeline.ProcessAsync(MesEvents.MesEnvelope(type, Tenant, data, eventId), record);
        Assert.Equal(ProcessingStatus.Completed, (await Deliver(EventTypes.Mes.WorkOrderCompleted,
            MesEvents.WorkOrderCompleted("wo-serials", "WO-serials", producedLot: "LOT-ASSY", consumedLot: null), "complete")).Status);

        const int perIssue = 50;
        var costs = new List<TableCost>();
        for (var batch = 0; batch < Serials / perIssue; batch++)
        {
            var serials = Enumerable.Range(batch * perIssue, perIssue).Select(i => $"SN-{i:D6}").ToArray();
            var cost = await metered.MeasureAsync(async () => Assert.Equal(ProcessingStatus.Completed,
                (await Deliver(EventTypes.Mes.MaterialIssued, MesEvents.MaterialIssued("wo-serials", "LOT-RAW", "50", serials), $"issue-{batch:D4}")).Status));
            if (batch is 1 || batch == Serials / perIssue / 2 || batch == Serials / perIssue - 1) costs.Add(cost);
        }

        output.WriteLine($"issue of {perIssue} serials (2nd, middle, last): {string.Join("; ", costs)}");
        Assert.All(costs, c => Assert.Equal(costs[0].Requests, c.Requests));
        Assert.All(costs, c => AssertAbout(costs[0].BytesWritten, c.BytesWritten));
        var genealogy = new GenealogyStore(Tables);
        Assert.Equal(Serials + 1, (await genealogy.ParentsAsync(Tenant, GenealogyNode.Lot("LOT-ASSY"))).Count);
        Assert.Equal(["LOT-ASSY"], (await genealogy.DescendantsAsync(Tenant, GenealogyNode.Serial($"SN-{Serials - 7:D6}"))).Select(n => n.Number));
        Assert.Equal(Serials, (await new WorkOrderGenealogies(Tables).InputsAsync(Tenant, "wo-serials", CancellationToken.None)).Count - 1);
        await AssertEveryEntitySmallAsync([WorkOrderGenealogies.TableName, GenealogyIndex], pipeline);
    }

    private const string GenealogyIndex = GenealogyStore.TableName;

    /// <summary>Within 1 %: ids and quantities differ in length from event to event, documents that grow would differ by far more.</summary>
    private static void AssertAbout(long expected, long actual) => Assert.InRange(actual, expected * 99 / 100, expected * 101 / 100);

    /// <summary>Reads back every entity of this test's tenant in <paramref name="tables"/>, and every idempotency record, and checks each one's size.</summary>
    private async Task AssertEveryEntitySmallAsync(IEnumerable<string> tables, PipelineHarness pipeline)
    {
        var tenantPrefix = StorageKeys.Escape(Tenant) + "|";
        long largest = 0;
        var count = 0;
        var end = tenantPrefix + '\uffff';
        foreach (var (table, ours) in tables.Select(t => (t, true)).Append((pipeline.Options.IdempotencyTableName, false)))
        {
            var query = ours
                ? Tables.GetTableClient(table).QueryAsync(e => e.PartitionKey.CompareTo(tenantPrefix) >= 0 && e.PartitionKey.CompareTo(end) < 0)
                : Tables.GetTableClient(table).QueryAsync();
            await foreach (var entity in query)
            {
                largest = Math.Max(largest, EntitySize.Of(entity));
                count++;
            }
        }
        output.WriteLine($"{count} entities stored, the largest {largest} bytes");
        Assert.True(count > OpenOrders || count > Serials, $"only {count} entities read back");
        Assert.InRange(largest, 1, MaxEntityBytes);
    }
}
