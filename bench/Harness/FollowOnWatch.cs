using System.Diagnostics;

namespace EventProcessors.Bench.Harness;

/// <summary>
/// The measuring loop both brokers' runs share: poll until the contender has put one follow-on per message, the clock and the
/// contender's CPU counted from the moment it started on the messages (start-up is not throughput), failing a run that stalls.
/// </summary>
public static class FollowOnWatch
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(90);

    public static async Task<RunResult> MeasureAsync(ChildProcess child, string contender, int prefetch, int messages,
        Func<Task<bool>> started, Func<Task<long>> followOns)
    {
        var clock = new Stopwatch();
        var cpuAtStart = TimeSpan.Zero;
        var lastProgress = Stopwatch.StartNew();
        long seen = 0;
        while (true)
        {
            child.ThrowIfExited();
            if (!clock.IsRunning && await started())
            {
                clock.Start();
                cpuAtStart = child.Cpu;
            }
            var count = await followOns();
            if (count != seen) lastProgress.Restart();
            seen = count;
            if (seen >= messages) break;
            if (lastProgress.Elapsed > StallTimeout)
                throw new BenchFailure($"{contender}: no follow-on for {StallTimeout.TotalSeconds:F0} s at {seen}/{messages}:\n{child.Tail}");
            await Task.Delay(PollInterval);
        }
        clock.Stop();
        return new RunResult(contender, prefetch, messages, clock.Elapsed, child.Cpu - cpuAtStart, child.PeakRss);
    }
}
