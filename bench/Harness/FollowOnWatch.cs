using System.Diagnostics;

namespace EventProcessors.Bench.Harness;

/// <summary>
/// The measuring loop both brokers' runs share: poll until the contender has put one follow-on per message, failing a run that
/// stalls. The first <c>warmUp</c> messages are the warm-up: a fresh process spends most of a short run in the runtime's tiered JIT
/// (it recompiles hot code with profile data for its first tens of thousands of messages), which a worker serving for days does
/// not; they are timed apart, and the clock and the contender's CPU for the result start at the warm-up's last follow-on.
/// Without a warm-up they start when the contender starts on the messages (start-up is not throughput).
/// </summary>
public static class FollowOnWatch
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(90);

    public static async Task<RunResult> MeasureAsync(ChildProcess child, string contender, int prefetch, int warmUp, int messages,
        Func<Task<bool>> started, Func<Task<long>> followOns)
    {
        var clock = new Stopwatch();
        var cpuAtStart = TimeSpan.Zero;
        var warmUpClock = new Stopwatch();
        var cpuAtWarmUp = TimeSpan.Zero;
        var lastProgress = Stopwatch.StartNew();
        long seen = 0;
        while (true)
        {
            child.ThrowIfExited();
            var starting = !warmUpClock.IsRunning && !clock.IsRunning && await started();
            var count = await followOns();
            if (starting && warmUp > 0)
            {
                warmUpClock.Start();
                cpuAtWarmUp = child.Cpu;
            }
            if (!clock.IsRunning && (warmUp == 0 ? starting : count >= warmUp))
            {
                warmUpClock.Stop(); // the warm-up ends where the measured run starts
                clock.Start();
                cpuAtStart = child.Cpu;
            }
            if (count != seen) lastProgress.Restart();
            seen = count;
            if (seen >= warmUp + messages) break;
            if (lastProgress.Elapsed > StallTimeout)
                throw new BenchFailure($"{contender}: no follow-on for {StallTimeout.TotalSeconds:F0} s at {seen}/{warmUp + messages}:\n{child.Tail}");
            await Task.Delay(PollInterval);
        }
        clock.Stop();
        var warm = warmUp > 0 ? new WarmUp(warmUp, warmUpClock.Elapsed, cpuAtStart - cpuAtWarmUp) : null;
        return new RunResult(contender, prefetch, messages, clock.Elapsed, child.Cpu - cpuAtStart, child.PeakRss, warm);
    }
}
