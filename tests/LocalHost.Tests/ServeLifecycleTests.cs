using EventProcessors.LocalHost.Cli;
using EventProcessors.LocalHost.Hosting;
using EventProcessors.Processing.Hosting;
using Microsoft.Extensions.Configuration;

namespace EventProcessors.LocalHost.Tests;

/// <summary><c>serve</c> stopped by its cancellation (Ctrl+C), after it started and while it starts, ends with exit code 0.</summary>
public sealed class ServeLifecycleTests
{
    private static IConfiguration Settings() => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        [LocalHostSettingNames.Transport] = "inmemory",
        [SettingNames.TableStorage] = "inmemory",
        ["LocalHost:Operations:HealthPort"] = "0",
    }).Build();

    [Fact]
    public async Task Stopped_after_it_started_it_drains_flushes_its_telemetry_and_exits_0()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        Assert.Equal(0, await LocalHostCli.ServeAsync(Settings(), stop.Token)); // flushing a disposed host threw here
    }

    [Fact]
    public async Task Stopped_while_it_starts_it_exits_0()
    {
        using var stop = new CancellationTokenSource();
        await stop.CancelAsync();
        Assert.Equal(0, await LocalHostCli.ServeAsync(Settings(), stop.Token));
    }
}
