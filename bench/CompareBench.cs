using System.Globalization;
using EventProcessors.Bench.Harness;
using EventProcessors.TestSupport;

namespace EventProcessors.Bench;

/// <summary>
/// Mode <c>compare</c> (the default): every contender side by side, each in a child process of its own, over several rounds in which the
/// contenders take turns (the order rotates per round), so a load spike from the rest of the machine hits them alike; then the
/// table, the ratios of medians against issue 13's targets, and the in-process pipeline figures with their Table operation counts.
/// </summary>
public static class CompareBench
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var messages = args.Int("messages", 20_000);
        var rounds = Math.Max(1, args.Int("rounds", 4));
        var prefetches = args.List("prefetch", "64").Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        var contenders = args.List("contenders", "raw", "worker", "mt", "mt-inbox");
        var azuriteMessages = args.Int("azurite-messages", 500);
        var kafkaMessages = args.Int("kafka-messages", 5_000);
        // Steady state is what a serving worker runs at: the first messages of a fresh process go to the tiered JIT (timed apart, printed).
        var warmUp = args.Int("warmup", 10_000);
        var output = Console.Out;
        if (contenders.FirstOrDefault(c => c is not ("raw" or "worker" or "mt" or "mt-inbox")) is { } unknown)
            throw new BenchFailure($"Unknown contender '{unknown}': --contenders takes raw, worker, mt, mt-inbox (Azurite and Kafka have options of their own).");

        output.WriteLine($"bench compare: {messages:N0} messages per run after {warmUp:N0} of warm-up, {rounds} rounds, prefetch {string.Join(',', prefetches)}; {Environment.ProcessorCount} cores, load average {ProcessStats.LoadAverage()}");
        output.WriteLine("one hop per message: consume order.confirmed from quorum queue delivery.create-note, publish one confirmed follow-on, ack after the confirm");
        var total = System.Diagnostics.Stopwatch.StartNew();
        var broker = new RabbitMqFixture();
        await broker.InitializeAsync();

        var jobs = new List<(string Contender, int Prefetch, int Messages)>();
        foreach (var prefetch in prefetches)
        {
            jobs.AddRange(contenders.Select(c => (c, prefetch, messages)));
            if (kafkaMessages > 0) jobs.AddRange(new[] { "kafka-raw", "kafka-worker" }.Select(c => (c, prefetch, kafkaMessages)));
        }
        if (azuriteMessages > 0) jobs.Add(("worker-azurite", prefetches[0], azuriteMessages));

        var results = new List<RunResult>();
        for (var round = 0; round < rounds; round++)
        {
            // Rotate who goes first, so no contender always runs right after the same neighbour.
            var order = jobs.Skip(round % jobs.Count).Concat(jobs.Take(round % jobs.Count));
            foreach (var (contender, prefetch, count) in order)
            {
                // Azurite's own CPU, not the JIT, bounds the worker on it: a fifth of its short run warms it up.
                var warm = contender == "worker-azurite" ? count / 5 : warmUp;
                var result = contender.StartsWith("kafka-", StringComparison.Ordinal)
                    ? await KafkaRun.RunAsync(contender, count, prefetch, warm)
                    : await RabbitRun.RunAsync(broker, contender, count, prefetch, warm,
                        extraArguments: contender == "worker-azurite" ? ["--storage", "UseDevelopmentStorage=true"] : null);
                results.Add(result);
                var warmed = result.WarmUp is { } w ? string.Create(CultureInfo.InvariantCulture, $"  (warm-up {w.Messages:N0}: {w.PerSecond:F0} msgs/s, {w.CpuSecondsPer1000:F3} CPU-s/1k)") : "";
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  round {round + 1}/{rounds}  {Report.Label(contender),-32} prefetch {prefetch,3}  {count,7:N0} msgs  {result.PerSecond,7:F0} msgs/s  {result.CpuSecondsPer1000,6:F3} CPU-s/1k  {result.PeakRssMb,5:F0} MB{warmed}  (load {ProcessStats.LoadAverage()})"));
            }
        }

        output.WriteLine();
        var summaries = Report.Summarize(results);
        Report.Print(output, summaries);
        output.WriteLine();
        foreach (var prefetch in prefetches) Report.Print(output, prefetch, Report.Ratios(summaries, prefetch));

        output.WriteLine();
        output.WriteLine("pipeline in process (target <= 4 KiB allocated per event), Table operations for the idempotency record:");
        PipelineBench.Print(await PipelineBench.MeasureAsync(Processing.Storage.TableServiceClientFactory.InMemoryConnectionString, 20_000, 16), output);
        if (azuriteMessages > 0) PipelineBench.Print(await PipelineBench.MeasureAsync("UseDevelopmentStorage=true", Math.Min(azuriteMessages, 2_000), 16), output);
        output.WriteLine($"load average at the end {ProcessStats.LoadAverage()}; the whole run took {total.Elapsed:mm\\:ss}");
        return 0;
    }
}
