namespace EventProcessors.Bench.Harness;

/// <summary>One contender's run: <see cref="Messages"/> handled in <see cref="Elapsed"/>, with the CPU it spent doing so and its peak RSS.</summary>
public sealed record RunResult(string Contender, int Prefetch, int Messages, TimeSpan Elapsed, TimeSpan Cpu, long PeakRss)
{
    public double PerSecond => Messages / Elapsed.TotalSeconds;

    public double CpuSecondsPer1000 => Cpu.TotalSeconds * 1000 / Messages;

    public double PeakRssMb => PeakRss / (1024.0 * 1024.0);
}
