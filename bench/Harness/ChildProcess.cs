using System.Diagnostics;

namespace EventProcessors.Bench.Harness;

/// <summary>
/// A contender in a process of its own (this executable, mode <c>contender</c>): its CPU time and peak RSS are its own, and
/// nothing of the harness (loading messages, polling the broker) is charged to it. A line on its standard input (or the input
/// closing) asks it to stop the way Ctrl+C stops <c>serve</c>: drain, then exit.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    internal const string LiveHeapRequest = "heap";
    internal const string LiveHeapReply = "live-heap ";
    private readonly Queue<string> _tail = new();
    private readonly string _name;
    private TaskCompletionSource<(long Live, long Committed)>? _liveHeap;

    private ChildProcess(Process process, string name)
    {
        _process = process;
        _name = name;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public TimeSpan Cpu => ProcessStats.Cpu(Pid);

    public long PeakRss => ProcessStats.PeakRss(Pid);

    public long Rss => ProcessStats.Rss(Pid);

    /// <summary>The last lines it printed (its logs go nowhere else: the harness reads and drops them).</summary>
    public string Tail
    {
        get { lock (_tail) return string.Join('\n', _tail); }
    }

    /// <summary>This executable in mode <c>contender</c>.</summary>
    public static ChildProcess Start(string name, params string[] arguments)
    {
        var self = Environment.ProcessPath ?? throw new BenchFailure("Cannot tell this executable's path.");
        return Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? Launch(name, self, [typeof(ChildProcess).Assembly.Location, "contender", .. arguments])
            : Launch(name, self, ["contender", .. arguments]);
    }

    /// <summary>The MassTransit contender, built beside this project (bench/MassTransit) with the RabbitMQ.Client MassTransit needs.</summary>
    public static ChildProcess StartMassTransit(string name, params string[] arguments)
    {
        var dll = typeof(ChildProcess).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "MassTransitContender").Value!;
        var apphost = Path.ChangeExtension(dll, null);
        if (File.Exists(apphost)) return Launch(name, apphost, arguments);
        if (File.Exists(dll)) return Launch(name, "dotnet", [dll, .. arguments]);
        throw new BenchFailure($"The MassTransit contender is not built at {dll}: dotnet build -c Release bench");
    }

    private static ChildProcess Launch(string name, string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // No local.settings.json of the repository leaks into the worker: settings are the flags given here.
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        return new ChildProcess(Process.Start(start) ?? throw new BenchFailure($"{name} did not start."), name);
    }

    /// <summary>
    /// The bytes its objects hold after a full compacting collection (in-process contenders only), and the bytes the GC keeps
    /// committed then: what it keeps, and the room kept for allocations to come, which RSS counts as well.
    /// </summary>
    public async Task<(long Live, long Committed)> LiveHeapAsync(TimeSpan timeout)
    {
        var reply = new TaskCompletionSource<(long, long)>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _liveHeap, reply);
        await _process.StandardInput.WriteLineAsync(LiveHeapRequest);
        await _process.StandardInput.FlushAsync();
        return await reply.Task.WaitAsync(timeout);
    }

    public void ThrowIfExited()
    {
        if (_process.HasExited) throw new BenchFailure($"{_name} exited ({_process.ExitCode}) mid-run:\n{Tail}");
    }

    /// <summary>Asks it to drain and exit; kills it if it has not within <paramref name="timeout"/>. Returns its exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            try
            {
                await _process.StandardInput.WriteLineAsync("stop");
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
                // Already exiting.
            }
        }
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            throw new BenchFailure($"{_name} did not stop within {timeout}:\n{Tail}");
        }
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        if (line.StartsWith(LiveHeapReply, StringComparison.Ordinal) && line[LiveHeapReply.Length..].Split(' ') is [var live, var committed])
        {
            Interlocked.Exchange(ref _liveHeap, null)?.TrySetResult((long.Parse(live, System.Globalization.CultureInfo.InvariantCulture),
                long.Parse(committed, System.Globalization.CultureInfo.InvariantCulture)));
            return;
        }
        lock (_tail)
        {
            _tail.Enqueue(line);
            if (_tail.Count > 40) _tail.Dequeue();
        }
    }
}
