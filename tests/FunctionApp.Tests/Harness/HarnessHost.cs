using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EventProcessors.FunctionApp.Tests.Harness;

/// <summary>
/// The services of one Function App host instance as Program.cs registers them (Processing over real Table Storage, then
/// the Function App's own), with the RabbitMQ connection pointed at a test's virtual host. Windows are shortened where
/// the rule they implement allows it, to keep the suite fast: retry waits in milliseconds instead of seconds, a
/// 3-second lease renewed every second instead of 30 s / 10 s.
/// </summary>
public static class HarnessHost
{
    public static ServiceProvider Services(string storage, string tablePrefix, Uri rabbitMQ, Action<IServiceCollection>? configure = null,
        IDictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>
        {
            [SettingNames.TableStorage] = storage,
            [SettingNames.TableNamePrefix] = tablePrefix,
            [SettingNames.RabbitMQConnection] = rabbitMQ.ToString(),
            ["Processing:LeaseDuration"] = "00:00:03",
            ["Processing:LeaseRenewalInterval"] = "00:00:01",
            ["FunctionApp:RetryBaseDelay"] = "00:00:00.100",
            ["FunctionApp:RetryMaxDelay"] = "00:00:02",
            ["FunctionApp:KafkaHoldLimit"] = "00:00:20",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) values[key] = value;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(configuration)
            .AddEventProcessing(configuration)
            .AddFunctionApp(configuration);
        configure?.Invoke(services);
        return services.BuildServiceProvider();
    }

    public static string NewTablePrefix() => "fa" + Guid.NewGuid().ToString("N")[..10];
}
