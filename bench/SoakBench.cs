using System.Diagnostics;
using System.Globalization;
using EventProcessors.Bench.Harness;
using EventProcessors.TestSupport;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace EventProcessors.Bench;

/// <summary>
/// Mode <c>soak</c>: <c>serve</c> fed continuously (<c>--rate</c> messages per second into <c>delivery.create-note</c>, at most
/// <c>--backlog</c> (1,000) ahead of what it has handled, so a worker slower than the rate stays busy without a queue that outlives the run) for <c>--minutes</c>,
/// sampled every <c>--sample</c> seconds against the messages it has handled (follow-ons counted): its live heap (what a full
/// compacting collection leaves: where anything held per message shows) and its RSS, split as Linux counts it: anonymous memory
/// (the GC heap, with the room the GC keeps for allocations to come, and native allocations), JIT-compiled code (the runtime's
/// double-mapped code pages, shared memory) and mapped files (assemblies and native libraries). Prints start, end and max and the
/// slopes (least squares, MB per 100,000 messages, over the samples after the first fifth of the run and of its messages, when JIT
/// and pools have settled and the bounded timeline is full); exits 1, saying FAIL, when the live heap's slope exceeds
/// <c>--max-slope</c> MB per 100,000 (default 10) or the run did not drain. The RSS slope is printed, not judged: at tens of
/// messages per second a few MB of GC heap sizing is the whole of it, and it says nothing about what the worker keeps.
/// Default storage is Azurite: with in-memory tables every record the worker writes stays in its memory by design.
/// </summary>
public static class SoakBench
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var duration = TimeSpan.FromMinutes(args.Double("minutes", 10));
        var rate = args.Int("rate", 50);
        var sampleEvery = TimeSpan.FromSeconds(args.Double("sample", 5));
        var maxSlope = args.Double("max-slope", 10);
        var prefetch = args.Int("prefetch", 64);
        var storage = args.Text("storage", "UseDevelopmentStorage=true");
        var backlog = args.Int("backlog", 1_000);
        Console.WriteLine($"bench soak: serve for {duration.TotalMinutes:F1} min at up to {rate} msgs/s ({backlog} ahead at most), storage {storage}, live heap and RSS every {sampleEvery.TotalSeconds:F0} s; load average {ProcessStats.LoadAverage()}");

        var broker = new RabbitMqFixture();
        await broker.InitializeAsync();
        await using var vhost = await broker.CreateVirtualHostAsync("soak");
        await RabbitRun.PrepareAsync(vhost.Uri, audit: false);
        await using var connection = await new ConnectionFactory { Uri = vhost.Uri, ClientProvidedName = "bench-soak" }.CreateConnectionAsync();
        var run = Guid.NewGuid().ToString("N")[..8];

        // Follow-ons are taken off as they come (the harness's CPU, not the worker's), so the broker's memory stays flat too.
        long handled = 0;
        await using var counter = await connection.CreateChannelAsync();
        var consumer = new AsyncEventingBasicConsumer(counter);
        consumer.ReceivedAsync += (_, _) => { Interlocked.Increment(ref handled); return Task.CompletedTask; };
        await counter.BasicConsumeAsync(Messages.FollowOnQueue, autoAck: true, consumer);

        await using var child = ChildProcess.Start("worker", ["worker", "--uri", vhost.Uri.ToString(), "--prefetch", prefetch.ToString(CultureInfo.InvariantCulture),
            "--audit", "false", "--run", run, "--storage", storage]);
        var samples = new List<(double Seconds, long Handled, double RssMb, double AnonMb, double LiveMb)>();
        var clock = Stopwatch.StartNew();
        var published = 0;
        var nextSample = TimeSpan.Zero;
        while (clock.Elapsed < duration)
        {
            child.ThrowIfExited();
            // Publish what the rate owes by now, in one confirmed batch every 100 ms, never more than the backlog ahead.
            var owed = Math.Min((int)(clock.Elapsed.TotalSeconds * rate) - published, backlog - (published - (int)Interlocked.Read(ref handled)));
            if (owed > 0)
            {
                await RabbitRun.PreloadAsync(connection, run, published, owed);
                published += owed;
            }
            if (clock.Elapsed >= nextSample)
            {
                var heap = await child.LiveHeapAsync(TimeSpan.FromSeconds(30));
                var (live, committed) = (heap.Live / (1024.0 * 1024.0), heap.Committed / (1024.0 * 1024.0));
                var (anon, code, files) = Resident(child.Pid);
                var sample = (clock.Elapsed.TotalSeconds, Interlocked.Read(ref handled), child.Rss / (1024.0 * 1024.0), anon, live);
                samples.Add(sample);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {sample.Item1,6:F0} s  {sample.Item2,8:N0} handled  live heap {live,5:F1} MB (GC committed {committed,5:F1})  RSS {sample.Item3,6:F1} MB (anonymous {anon,5:F1}, JIT code {code,4:F1}, files {files,4:F1})  (load {ProcessStats.LoadAverage()})"));
                nextSample += sampleEvery;
            }
            await Task.Delay(100);
        }

        var drain = Stopwatch.StartNew();
        while (Interlocked.Read(ref handled) < published && drain.Elapsed < TimeSpan.FromMinutes(5)) await Task.Delay(200);
        var peak = child.PeakRss / (1024.0 * 1024.0);
        var exit = await child.StopAsync(TimeSpan.FromSeconds(60));
        var left = (await counter.QueueDeclarePassiveAsync(Messages.InputQueue)).MessageCount;
        var final = Interlocked.Read(ref handled);

        // Settled: past the first fifth of the run and of the messages, as a worker slow to start on a loaded machine is still warming up.
        var settled = samples.Where(s => s.Seconds >= duration.TotalSeconds / 5 && s.Handled >= final / 5).ToArray();
        var liveSlope = SlopePer100k(settled.Select(s => ((double)s.Handled, s.LiveMb)).ToArray());
        var slope = SlopePer100k(settled.Select(s => ((double)s.Handled, s.RssMb)).ToArray());
        var anonSlope = SlopePer100k(settled.Select(s => ((double)s.Handled, s.AnonMb)).ToArray());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"published {published:N0}, handled {final:N0}, left in queue {left}; live heap start {settled.FirstOrDefault().LiveMb:F1} MB (after {settled.FirstOrDefault().Seconds:F0} s), end {samples[^1].LiveMb:F1} MB, max {samples.Max(s => s.LiveMb):F1} MB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RSS start {settled.FirstOrDefault().RssMb:F1} MB, end {samples[^1].RssMb:F1} MB, max {samples.Max(s => s.RssMb):F1} MB, peak (VmHWM) {peak:F1} MB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"slope of the live heap {liveSlope:F2} MB per 100,000 messages (limit {maxSlope:F0}); of RSS {slope:F2}, of anonymous memory {anonSlope:F2}; load average {ProcessStats.LoadAverage()}"));
        var failures = new List<string>();
        if (exit != 0) failures.Add($"the worker exited with {exit}");
        if (final != published || left != 0) failures.Add($"did not drain: {published} published, {final} follow-ons, {left} left");
        if (liveSlope > maxSlope) failures.Add($"the live heap grows: {liveSlope:F2} MB per 100,000 messages");
        if (failures.Count == 0) return 0;
        Console.WriteLine("FAIL: " + string.Join("; ", failures));
        return 1;
    }

    /// <summary>The resident MB of <paramref name="pid"/>: anonymous, shared memory (JIT-compiled code) and file-backed (<c>/proc/[pid]/status</c>).</summary>
    private static (double Anonymous, double Code, double Files) Resident(int pid)
    {
        double anonymous = 0, code = 0, files = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            var parts = line.Split(':', 2);
            if (parts.Length < 2 || parts[0] is not ("RssAnon" or "RssShmem" or "RssFile")) continue;
            var mb = long.Parse(parts[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
            if (parts[0] == "RssAnon") anonymous = mb;
            else if (parts[0] == "RssShmem") code = mb;
            else files = mb;
        }
        return (anonymous, code, files);
    }

    /// <summary>Least-squares slope of memory (MB) over messages handled, per 100,000 messages; 0 with fewer than two distinct points.</summary>
    public static double SlopePer100k(IReadOnlyList<(double Handled, double RssMb)> points)
    {
        if (points.Count < 2) return 0;
        var meanX = points.Average(p => p.Handled);
        var meanY = points.Average(p => p.RssMb);
        var sxx = points.Sum(p => (p.Handled - meanX) * (p.Handled - meanX));
        if (sxx == 0) return 0;
        return points.Sum(p => (p.Handled - meanX) * (p.RssMb - meanY)) / sxx * 100_000;
    }
}
