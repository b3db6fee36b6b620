using EventProcessors.Processing.Pipeline;
using EventProcessors.TestSupport;

namespace EventProcessors.Processing.Tests.Pipeline;

/// <summary>The pipeline over real Azurite, where concurrency is real HTTP against a real table.</summary>
public sealed class PipelineOnAzuriteTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Sixteen_concurrent_deliveries_of_one_event_run_the_action_exactly_once()
    {
        var harness = new PipelineHarness(azurite.Tables);
        var action = new ScriptedAction(async (_, _) => await Task.Delay(200)); // holds the claim while the others arrive
        await harness.ProcessAsync(PipelineHarness.OrderCreated("ORD-WARMUP"), action);
        using var start = new ManualResetEventSlim();

        var deliveries = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            return await harness.ProcessAsync(PipelineHarness.OrderCreated("ORD-RACE"), action);
        })).ToArray();
        start.Set();
        var results = await Task.WhenAll(deliveries);
        var redelivered = await harness.ProcessAsync(PipelineHarness.OrderCreated("ORD-RACE"), action);

        Assert.Equal(2, action.Runs); // the warm-up and exactly one of the sixteen
        var completed = Assert.Single(results, r => r.Status == ProcessingStatus.Completed);
        Assert.All(results.Where(r => r != completed), r => Assert.True(r.Status is ProcessingStatus.Retry or ProcessingStatus.Duplicate, r.Status.ToString()));
        Assert.Equal(ProcessingStatus.Duplicate, redelivered.Status);
        Assert.Equal(completed.Outcome.Events.Select(e => e.Id), redelivered.Outcome.Events.Select(e => e.Id));
    }
}
