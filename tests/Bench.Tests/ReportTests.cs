using EventProcessors.Bench;
using EventProcessors.Bench.Harness;

namespace EventProcessors.Bench.Tests;

public sealed class ReportTests
{
    private static RunResult Run(string contender, int messages, double seconds, double cpuSeconds, int prefetch = 64, long rss = 100L << 20) =>
        new(contender, prefetch, messages, TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(cpuSeconds), rss);

    [Fact]
    public void Median_of_an_odd_count_is_the_middle_value_and_of_an_even_count_the_mean_of_the_two_middle_ones()
    {
        Assert.Equal(3, Report.Median([5, 1, 3]));
        Assert.Equal(2.5, Report.Median([4, 1, 3, 2]));
        Assert.Throws<ArgumentException>(() => Report.Median([]));
    }

    [Fact]
    public void Summary_per_contender_and_prefetch_has_min_median_max_rates_median_cpu_and_the_highest_peak()
    {
        var summaries = Report.Summarize(
        [
            Run("raw", 1000, 1, 0.10), Run("raw", 1000, 2, 0.30), Run("raw", 1000, 4, 0.20, rss: 300L << 20),
            Run("raw", 1000, 1, 0.50, prefetch: 8),
        ]);

        var raw64 = Assert.Single(summaries, s => s is { Contender: "raw", Prefetch: 64 });
        Assert.Equal((250, 500, 1000), (raw64.Min, raw64.Median, raw64.Max));
        Assert.Equal(0.2, raw64.CpuPer1000, 6);
        Assert.Equal(300, raw64.PeakRssMb, 6);
        Assert.Equal(3, raw64.Rounds);
        Assert.Equal(1, Assert.Single(summaries, s => s.Prefetch == 8).Rounds);
    }

    [Fact]
    public void Ratios_compare_medians_against_the_issues_targets()
    {
        var summaries = Report.Summarize(
        [
            Run("raw", 1000, 1, 0.2),      // 1000/s, 0.2 CPU-s per 1,000
            Run("worker", 1000, 1.25, 0.4), // 800/s: exactly 0.8x, CPU 2x
            Run("mt", 1000, 2, 0.3),       // 500/s: worker 1.6x
            Run("mt-inbox", 1000, 2.5, 0.3), // 400/s: worker 2x
        ]);

        var ratios = Report.Ratios(summaries, 64).ToDictionary(r => r.Name);

        Assert.Equal(0.8, ratios["worker / raw loop (msgs/s)"].Value!.Value, 6);
        Assert.True(ratios["worker / raw loop (msgs/s)"].Met);
        Assert.True(ratios["worker / MassTransit (msgs/s)"].Met);
        Assert.True(ratios["worker / MassTransit+inbox/outbox (msgs/s)"].Met);
        Assert.Equal(2.0, ratios["worker / raw loop (CPU per message)"].Value!.Value, 6);
        Assert.False(ratios["worker / raw loop (CPU per message)"].Met);
        // Kafka did not run: no value, neither met nor missed.
        Assert.Null(ratios["Kafka: worker / raw loop (msgs/s)"].Value);
        Assert.Null(ratios["Kafka: worker / raw loop (msgs/s)"].Met);
    }

    [Fact]
    public void Soak_slope_is_flat_for_steady_memory_and_scaled_to_100k_messages_for_growth()
    {
        Assert.Equal(0, SoakBench.SlopePer100k([(0, 80), (50_000, 80), (100_000, 80)]), 6);
        // 1 MB more per 10,000 messages is 10 MB per 100,000.
        Assert.Equal(10, SoakBench.SlopePer100k([(10_000, 81), (20_000, 82), (30_000, 83), (40_000, 84)]), 6);
        Assert.Equal(0, SoakBench.SlopePer100k([(5_000, 90)]));
    }

    [Fact]
    public void Options_have_defaults_read_thousands_separators_and_refuse_nonsense()
    {
        var args = new BenchArgs(["--messages", "100,000", "--prefetch", "64,8", "--rate", "x"]);

        Assert.Equal(100_000, args.Int("messages", 1));
        Assert.Equal(4, args.Int("rounds", 4));
        Assert.Equal(["64", "8"], args.List("prefetch", "64"));
        Assert.Throws<BenchFailure>(() => args.Int("rate", 50));
    }
}
