using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Transport.RabbitMq;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;

namespace EventProcessors.LocalHost.Tests;

/// <summary>RabbitMQ tests share one broker, and one of them restarts it: they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class RabbitMqCollection : ICollectionFixture<RabbitMqFixture>, ICollectionFixture<AzuriteFixture>
{
    public const string Name = "RabbitMQ";
}

/// <summary>The worker's semantics over real RabbitMQ (a fresh virtual host per test) and Azurite.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class RabbitMqWorkerTests(RabbitMqFixture rabbit, AzuriteFixture azurite) : WorkerSemanticsTests
{
    private RabbitVirtualHost? _vhost;

    protected override ITableServiceClient Tables { get; } = TableServiceClientFactory.Create(new TableStorageOptions
    {
        ConnectionString = azurite.ConnectionString,
        TableNamePrefix = "t" + Guid.NewGuid().ToString("N")[..10],
    });

    public override async Task InitializeAsync()
    {
        _vhost = await rabbit.CreateVirtualHostAsync("worker");
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_vhost is not null) await _vhost.DisposeAsync();
    }

    protected override async Task<IMessageTransport> ConnectAsync() =>
        await RabbitMqTransport.ConnectAsync(new RabbitMqOptions { Uri = _vhost!.Uri, ConnectTimeout = TimeSpan.FromSeconds(10) });

    protected override Task KillAsync(IMessageTransport transport) => ((RabbitMqTransport)transport).AbortAsync();
}
