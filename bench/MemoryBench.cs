using System.Globalization;
using EventProcessors.Bench.Harness;
using EventProcessors.TestSupport;

namespace EventProcessors.Bench;

/// <summary>Mode <c>memory</c>: the worker (<c>serve</c>, in-memory tables) through <c>--messages</c> (100,000) pre-loaded messages; its peak RSS against the 150 MB target.</summary>
public static class MemoryBench
{
    public const double TargetMb = 150;

    public static async Task<int> RunAsync(BenchArgs args)
    {
        var messages = args.Int("messages", 100_000);
        var prefetch = args.Int("prefetch", 64);
        Console.WriteLine($"bench memory: the worker through {messages:N0} messages at prefetch {prefetch}; load average {ProcessStats.LoadAverage()}");
        var broker = new RabbitMqFixture();
        await broker.InitializeAsync();
        var r = await RabbitRun.RunAsync(broker, "worker", messages, prefetch);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"worker, in-memory tables: {r.PerSecond:F0} msgs/s, {r.CpuSecondsPer1000:F3} CPU-s per 1,000, peak RSS {r.PeakRssMb:F0} MB (target <= {TargetMb:F0} MB: {(r.PeakRssMb <= TargetMb ? "met" : "NOT met")})"));
        Console.WriteLine("in-memory tables keep every record (notes, lines, idempotency records) in the process: part of that peak is the data itself; `soak` on Azurite shows the worker's own memory");
        Console.WriteLine($"load average at the end {ProcessStats.LoadAverage()}");
        return 0;
    }
}
