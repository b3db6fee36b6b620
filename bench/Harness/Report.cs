using System.Globalization;

namespace EventProcessors.Bench.Harness;

/// <summary>One contender at one prefetch over every round: min/median/max messages per second, median CPU per 1,000 messages, peak RSS.</summary>
public sealed record Summary(string Contender, int Prefetch, int Messages, int Rounds, double Min, double Median, double Max, double CpuPer1000, double PeakRssMb);

/// <summary>A ratio of medians beside the issue's target for it; <see cref="Met"/> is null when a contender of the pair did not run.</summary>
public sealed record Ratio(string Name, double? Value, string Target, bool? Met);

/// <summary>The side-by-side table and the ratios of medians (issue 13's targets), from the runs of every round.</summary>
public static class Report
{
    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("No values.", nameof(values));
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    public static IReadOnlyList<Summary> Summarize(IEnumerable<RunResult> runs) => runs
        .GroupBy(r => (r.Contender, r.Prefetch))
        .Select(g =>
        {
            var rates = g.Select(r => r.PerSecond).ToArray();
            return new Summary(g.Key.Contender, g.Key.Prefetch, g.First().Messages, rates.Length, rates.Min(), Median(rates), rates.Max(),
                Median(g.Select(r => r.CpuSecondsPer1000).ToArray()), g.Max(r => r.PeakRssMb));
        })
        .ToArray();

    /// <summary>The issue's targets at <paramref name="prefetch"/> (stated at 64, in-memory tables); CPU is "at most", the rest "at least".</summary>
    public static IReadOnlyList<Ratio> Ratios(IReadOnlyList<Summary> summaries, int prefetch)
    {
        Summary? Of(string contender) => summaries.FirstOrDefault(s => s.Contender == contender && s.Prefetch == prefetch);
        Ratio Throughput(string name, string over, string under, double atLeast)
        {
            var (a, b) = (Of(over), Of(under));
            var value = a is null || b is null ? (double?)null : a.Median / b.Median;
            return new Ratio(name, value, ">= " + atLeast.ToString("0.0#", CultureInfo.InvariantCulture), value is null ? null : value >= atLeast);
        }
        Ratio Cpu(string name, string over, string under, double atMost)
        {
            var (a, b) = (Of(over), Of(under));
            var value = a is null || b is null ? (double?)null : a.CpuPer1000 / b.CpuPer1000;
            return new Ratio(name, value, "<= " + atMost.ToString("0.0#", CultureInfo.InvariantCulture), value is null ? null : value <= atMost);
        }
        return
        [
            Throughput("worker / raw loop (msgs/s)", "worker", "raw", 0.8),
            Throughput("worker / MassTransit (msgs/s)", "worker", "mt", 1.5),
            Throughput("worker / MassTransit+inbox/outbox (msgs/s)", "worker", "mt-inbox", 2.0),
            Cpu("worker / raw loop (CPU per message)", "worker", "raw", 1.5),
            Throughput("Kafka: worker / raw loop (msgs/s)", "kafka-worker", "kafka-raw", 0.8),
            Cpu("Kafka: worker / raw loop (CPU per message)", "kafka-worker", "kafka-raw", 1.5),
        ];
    }

    public static void Print(TextWriter output, IReadOnlyList<Summary> summaries)
    {
        output.WriteLine($"{"contender",-30} {"prefetch",8} {"msgs",7} {"runs",4} {"min/s",8} {"median/s",9} {"max/s",8} {"CPU-s/1k",9} {"peak RSS",9}");
        foreach (var s in summaries.OrderBy(s => s.Prefetch).ThenBy(s => Order(s.Contender)))
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Label(s.Contender),-30} {s.Prefetch,8} {s.Messages,7} {s.Rounds,4} {s.Min,8:F0} {s.Median,9:F0} {s.Max,8:F0} {s.CpuPer1000,9:F3} {s.PeakRssMb,6:F0} MB"));
    }

    public static void Print(TextWriter output, int prefetch, IReadOnlyList<Ratio> ratios)
    {
        output.WriteLine($"ratios of medians at prefetch {prefetch}          value   target  met");
        foreach (var r in ratios.Where(r => r.Value is not null))
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {r.Name,-44} {r.Value,5:F2}  {r.Target,-7} {(r.Met == true ? "yes" : "NO")}"));
    }

    public static string Label(string contender) => contender switch
    {
        "raw" => "raw RabbitMQ.Client 7 loop",
        "worker" => "worker, in-memory tables",
        "worker-azurite" => "worker, Azurite tables",
        "mt" => "MassTransit 8.5.12",
        "mt-inbox" => "MassTransit 8.5.12 inbox/outbox",
        "kafka-raw" => "Kafka: raw Confluent.Kafka loop",
        "kafka-worker" => "Kafka: worker, in-memory tables",
        _ => contender,
    };

    private static int Order(string contender) => contender switch
    {
        "raw" => 0, "worker" => 1, "worker-azurite" => 2, "mt" => 3, "mt-inbox" => 4, "kafka-raw" => 5, "kafka-worker" => 6, _ => 7,
    };
}
