using System.Globalization;
using EventProcessors.LocalHost.Cli;
using EventProcessors.LocalHost.Hosting;
using EventProcessors.Processing.Hosting;

namespace EventProcessors.Bench.Contenders;

/// <summary>
/// Contender B: the self-hosted worker exactly as <c>serve</c> runs it (<see cref="LocalHostCli.ServeAsync"/>: every action,
/// RouteOutbox, console logging, telemetry), on RabbitMQ and, with <paramref name="kafka"/>, the MES actions on Kafka. CreateDeliveryNote
/// serves <c>delivery.create-note</c>. Only what would collide with other processes on this machine is set: the health port (off) and,
/// on a shared Table Storage account, a table-name prefix of the run's own.
/// </summary>
public static class WorkerContender
{
    public static async Task<int> RunAsync(Uri? rabbit, int prefetch, string storage, string audit, string run, string? kafka, CancellationToken stop)
    {
        var settings = new Dictionary<string, string?>
        {
            [SettingNames.TableStorage] = storage,
            [LocalHostSettingNames.Transport] = rabbit is null ? "inmemory" : "rabbitmq",
            ["LocalHost:Prefetch"] = prefetch.ToString(CultureInfo.InvariantCulture),
            ["LocalHost:Operations:HealthPort"] = "0",
            // The audit consumer appends every follow-on to the event store: a second consumer per message, not part of the hop.
            ["EventStore:Audit"] = audit,
            [SettingNames.KafkaBrokers] = kafka ?? "",
        };
        if (rabbit is not null) settings[SettingNames.RabbitMQConnection] = rabbit.ToString();
        if (storage != "inmemory") settings[SettingNames.TableNamePrefix] = "b" + run;
        try
        {
            return await LocalHostCli.ServeAsync(LocalHostServiceCollectionExtensions.BuildConfiguration(settings), stop);
        }
        catch (ObjectDisposedException e) when (stop.IsCancellationRequested)
        {
            // serve on main flushes telemetry from a host RunAsync already disposed: it has drained by then, so the run counts,
            // but say so (the harness's drain checks still decide whether anything was lost).
            Console.Error.WriteLine($"serve threw on shutdown, after draining: {e.Message}");
            return 0;
        }
    }
}
