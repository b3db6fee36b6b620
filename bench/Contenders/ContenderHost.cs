using EventProcessors.Bench.Harness;

namespace EventProcessors.Bench.Contenders;

/// <summary>
/// <c>bench contender &lt;name&gt; --uri ... --prefetch n</c>: one contender in this (child) process, until a line arrives on standard
/// input or it closes (a line <c>heap</c> asks it for its live heap instead). What each does per message is the same hop: consume <c>order.confirmed</c>, publish one confirmed
/// follow-on, acknowledge after the confirm.
/// </summary>
public static class ContenderHost
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var name = args.Raw.Count > 0 ? args.Raw[0] : throw new BenchFailure("contender needs a name.");
        using var stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            // "heap" asks for the live heap (what a full compacting collection leaves) and what the GC keeps committed beside it;
            // any other line, or the input closing, stops.
            while (await Console.In.ReadLineAsync() == ChildProcess.LiveHeapRequest)
            {
                var live = GC.GetTotalMemory(forceFullCollection: true);
                Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{ChildProcess.LiveHeapReply}{live} {GC.GetGCMemoryInfo().TotalCommittedBytes}"));
            }
            await stop.CancelAsync();
        });
        var prefetch = args.Int("prefetch", 64);
        var uri = args.Value("uri") is { } text ? new Uri(text) : null;
        Uri Rabbit() => uri ?? throw new BenchFailure($"{name} needs --uri.");
        var kafka = args.Value("kafka");
        string Kafka() => kafka ?? throw new BenchFailure($"{name} needs --kafka.");
        switch (name)
        {
            case "raw":
                await RawRabbitLoop.RunAsync(Rabbit(), prefetch, stop.Token);
                return 0;
            case "worker":
            case "worker-azurite":
                return await WorkerContender.RunAsync(Rabbit(), prefetch, args.Text("storage", "inmemory"), args.Text("audit", "false"), args.Text("run", "run"), kafka, stop.Token);
            case "kafka-raw":
                await RawKafkaLoop.RunAsync(Kafka(), prefetch, stop.Token);
                return 0;
            case "kafka-worker":
                return await WorkerContender.RunAsync(null, prefetch, "inmemory", "false", args.Text("run", "run"), Kafka(), stop.Token);
            default:
                throw new BenchFailure($"Unknown contender '{name}'.");
        }
    }
}
