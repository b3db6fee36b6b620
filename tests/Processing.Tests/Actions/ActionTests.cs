using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Actions.OrderToCash;
using EventProcessors.Processing.Tests.Pipeline;

namespace EventProcessors.Processing.Tests.Actions;

/// <summary>
/// What every action test class shares: the tables it runs on (one subclass on Azurite, one in memory, so both
/// implementations pass the same tests), a tenant of its own, and one pipeline over those tables.
/// </summary>
public abstract class ActionTests
{
    private PipelineHarness? _harness;

    protected abstract ITableServiceClient Tables { get; }

    /// <summary>A fresh tenant per test: tests on the shared Azurite never see each other's state.</summary>
    protected string Tenant { get; } = OrderToCashEvents.NewTenant();

    /// <summary>The pipeline of one worker: a second delivery of an event to it is a duplicate.</summary>
    private protected PipelineHarness Pipeline => _harness ??= OrderToCashEvents.Harness(Tables);
}
