using System.Globalization;

namespace EventProcessors.Bench.Harness;

/// <summary>A process's own CPU time and memory, read from <c>/proc</c> (Linux), so each contender is charged only for itself.</summary>
public static class ProcessStats
{
    /// <summary>Clock ticks per second of <c>/proc/[pid]/stat</c> (<c>sysconf(_SC_CLK_TCK)</c>: 100 on every Linux ABI .NET runs on).</summary>
    private const double TicksPerSecond = 100;

    /// <summary>User plus system CPU time of <paramref name="pid"/> so far.</summary>
    public static TimeSpan Cpu(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) may contain spaces: fields are counted from after its closing parenthesis, where field 3 starts.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    /// <summary>Peak resident set size (<c>VmHWM</c>) in bytes.</summary>
    public static long PeakRss(int pid) => StatusKiB(pid, "VmHWM:") * 1024;

    /// <summary>Current resident set size (<c>VmRSS</c>) in bytes.</summary>
    public static long Rss(int pid) => StatusKiB(pid, "VmRSS:") * 1024;

    private static long StatusKiB(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        throw new BenchFailure($"/proc/{pid}/status has no {field}");
    }

    /// <summary>The 1-, 5- and 15-minute load averages, to print beside figures measured on a shared machine.</summary>
    public static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
