using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;

namespace EventProcessors.Processing.Tests.Pipeline;

/// <summary>
/// The idempotency key through the pipeline: tenants sharing a source and message id stay two events, and what one
/// event costs in Table requests. Run on Azurite and in memory.
/// </summary>
public abstract class TenantIsolationAndCostTests
{
    protected abstract ITableServiceClient Tables { get; }

    [Fact]
    public async Task Two_tenants_with_the_same_source_and_message_id_are_both_processed_and_replay_only_their_own_outcome()
    {
        var harness = new PipelineHarness(Tables);
        var action = new ScriptedAction();

        var a = await harness.ProcessAsync(PipelineHarness.OrderCreated("ORD-A", tenant: "tenant-a"), action, messageId: "msg-42");
        var b = await harness.ProcessAsync(PipelineHarness.OrderCreated("ORD-B", tenant: "tenant-b"), action, messageId: "msg-42");

        Assert.Equal(a.Event!.Id, b.Event!.Id); // the same source and id: only the tenant tells them apart
        Assert.Equal(a.Event.Source, b.Event.Source);
        Assert.Equal((ProcessingStatus.Completed, ProcessingStatus.Completed), (a.Status, b.Status));
        Assert.Equal(2, action.Runs);
        Assert.Equal("tenant-a", Assert.Single(a.Outcome.Events).TenantId);
        Assert.Equal("tenant-b", Assert.Single(b.Outcome.Events).TenantId);

        var againA = await harness.ProcessAsync(PipelineHarness.OrderCreated("ORD-A", tenant: "tenant-a"), action, messageId: "msg-42");
        var againB = await harness.ProcessAsync(PipelineHarness.OrderCreated("ORD-B", tenant: "tenant-b"), action, messageId: "msg-42");

        Assert.Equal((ProcessingStatus.Duplicate, ProcessingStatus.Duplicate), (againA.Status, againB.Status));
        Assert.Equal(2, action.Runs);
        Assert.Equal(a.Outcome.Events.Select(e => (e.Id, e.TenantId)), againA.Outcome.Events.Select(e => (e.Id, e.TenantId)));
        Assert.Equal(b.Outcome.Events.Select(e => (e.Id, e.TenantId)), againB.Outcome.Events.Select(e => (e.Id, e.TenantId)));
        Assert.NotEqual(a.Outcome.Events.Single().Id, b.Outcome.Events.Single().Id);
    }

    [Fact]
    public async Task A_new_event_costs_two_table_requests_and_a_duplicate_two()
    {
        var counting = new CountingTables(Tables);
        var harness = new PipelineHarness(counting);
        var action = new ScriptedAction();
        await harness.ProcessAsync(PipelineHarness.OrderCreated("ORD-WARM-UP"), action); // creates the table
        counting.Reset();

        var created = await harness.ProcessAsync(PipelineHarness.OrderCreated("ORD-1"), action);
        var newEvent = (counting.Requests, Operations(counting));
        counting.Reset();
        var duplicate = await harness.ProcessAsync(PipelineHarness.OrderCreated("ORD-1"), action);

        Assert.Equal((ProcessingStatus.Completed, ProcessingStatus.Duplicate), (created.Status, duplicate.Status));
        // New: insert the claim, then one transaction (complete the record and write its expiry index row).
        Assert.Equal((2, "AddEntity SubmitTransaction"), newEvent);
        // Duplicate: the insert meets the record (409), then one read of it.
        Assert.Equal((2, "AddEntity GetEntity"), (counting.Requests, Operations(counting)));
    }

    private static string Operations(CountingTables counting) =>
        string.Join(' ', counting.ByOperation.SelectMany(p => Enumerable.Repeat(p.Key, p.Value)).Order(StringComparer.Ordinal));
}

public sealed class TenantIsolationAndCostOnAzurite(AzuriteFixture azurite) : TenantIsolationAndCostTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class TenantIsolationAndCostInMemory : TenantIsolationAndCostTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}
