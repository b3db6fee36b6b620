namespace EventProcessors.Bench.Harness;

/// <summary>
/// One contender's run: <see cref="Messages"/> handled in <see cref="Elapsed"/> after its <see cref="WarmUp"/> (if any), with the CPU
/// it spent on them and its peak RSS (warm-up included).
/// </summary>
public sealed record RunResult(string Contender, int Prefetch, int Messages, TimeSpan Elapsed, TimeSpan Cpu, long PeakRss, WarmUp? WarmUp = null)
{
    public double PerSecond => Messages / Elapsed.TotalSeconds;

    public double CpuSecondsPer1000 => Cpu.TotalSeconds * 1000 / Messages;

    public double PeakRssMb => PeakRss / (1024.0 * 1024.0);
}

/// <summary>The messages a run handled before it was measured, timed apart: what a fresh process costs.</summary>
public sealed record WarmUp(int Messages, TimeSpan Elapsed, TimeSpan Cpu)
{
    public double PerSecond => Messages / Elapsed.TotalSeconds;

    public double CpuSecondsPer1000 => Cpu.TotalSeconds * 1000 / Messages;
}
