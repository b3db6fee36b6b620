using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Transport.InMemory;
using EventProcessors.Processing.Storage;

namespace EventProcessors.LocalHost.Tests;

/// <summary>The worker's semantics over the embedded in-memory broker and in-memory tables.</summary>
public sealed class InMemoryWorkerTests : WorkerSemanticsTests
{
    private readonly InMemoryBroker _broker = new();

    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();

    protected override Task<IMessageTransport> ConnectAsync() => Task.FromResult<IMessageTransport>(new InMemoryTransport(_broker));

    protected override Task KillAsync(IMessageTransport transport)
    {
        ((InMemoryTransport)transport).Abort();
        return Task.CompletedTask;
    }
}
