using EventProcessors.LocalHost.Hosting;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Worker;
using EventProcessors.Processing.Hosting;
using EventProcessors.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EventProcessors.LocalHost.Tests.Support;

/// <summary>
/// The whole worker as <c>serve</c> builds it (every action), on a test's RabbitMQ virtual host and on Azurite under
/// a table prefix of its own, started; disposing stops it.
/// </summary>
public sealed class ServedWorker : IAsyncDisposable
{
    private ServedWorker(ServiceProvider services)
    {
        Services = services;
        Worker = services.GetRequiredService<EventWorker>();
        Transport = services.GetRequiredService<IMessageTransport>();
        Timeline = services.GetRequiredService<TimelineRecorder>();
    }

    public ServiceProvider Services { get; }
    public EventWorker Worker { get; }
    public IMessageTransport Transport { get; }
    public TimelineRecorder Timeline { get; }

    public static async Task<ServedWorker> StartAsync(RabbitVirtualHost vhost, AzuriteFixture azurite, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>
        {
            [LocalHostSettingNames.Transport] = "rabbitmq",
            [SettingNames.RabbitMQConnection] = vhost.Uri.ToString(),
            [SettingNames.TableStorage] = azurite.ConnectionString,
            [SettingNames.TableNamePrefix] = "s" + Guid.NewGuid().ToString("N")[..10],
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string?>()) values[name] = value;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var served = new ServedWorker(new ServiceCollection().AddLogging(l => l.SetMinimumLevel(LogLevel.Warning)).AddLocalHost(configuration).BuildServiceProvider());
        await served.Worker.StartAsync(CancellationToken.None);
        return served;
    }

    public async ValueTask DisposeAsync()
    {
        await Worker.StopAsync(CancellationToken.None);
        await Services.DisposeAsync();
    }
}

/// <summary>A test that runs one <see cref="ServedWorker"/> in a fresh virtual host, stopped and removed after it.</summary>
public abstract class ServedWorkerTest(RabbitMqFixture rabbit, AzuriteFixture azurite, string virtualHost) : IAsyncLifetime
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private RabbitVirtualHost? _vhost;
    private ServedWorker? _served;

    public async Task InitializeAsync() => _vhost = await rabbit.CreateVirtualHostAsync(virtualHost);

    public async Task DisposeAsync()
    {
        if (_served is not null) await _served.DisposeAsync();
        if (_vhost is not null) await _vhost.DisposeAsync();
    }

    protected async Task<ServedWorker> StartServedAsync(IReadOnlyDictionary<string, string?>? settings = null) =>
        _served = await ServedWorker.StartAsync(_vhost!, azurite, settings);
}
