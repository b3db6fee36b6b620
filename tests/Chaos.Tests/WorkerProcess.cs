using System.Collections.Concurrent;
using System.Diagnostics;

namespace EventProcessors.Chaos.Tests;

/// <summary>
/// The self-hosted worker (<c>serve</c>) as a separate process, which can be killed with SIGKILL as a crash does: Collector actions
/// over RabbitMQ and, given Kafka bootstrap servers, MES actions over Kafka (<c>serve --kafka</c>).
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    // One writer per log file for every process of a run: separate appending streams would overwrite each other's lines.
    private static readonly ConcurrentDictionary<string, StreamWriter> Logs = new(StringComparer.Ordinal);
    private readonly Process _process;
    private volatile bool _ended;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WorkerProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    /// <summary>Completes once the worker says it consumes every queue (its topology declared, its consumers started).</summary>
    public Task Ready => _ready.Task;

    public bool HasExited => _process.HasExited;

    /// <summary>Whether the process ended by itself (a crash, a failed start), not by <see cref="KillAsync"/> or <see cref="StopAsync"/>.</summary>
    public bool ExitedByItself => _process.HasExited && !_ended;

    public int ExitCode => _process.ExitCode;

    public static WorkerProcess Start(string name, Uri broker, string storage, IReadOnlyDictionary<string, string> settings, string logFile, string? kafka = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "EventProcessors.LocalHost.dll");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { dll, "serve", "--transport", "rabbitmq", "--rabbitmq", broker.ToString(), "--storage", storage })
            start.ArgumentList.Add(argument);
        if (kafka is not null)
        {
            start.ArgumentList.Add("--kafka");
            start.ArgumentList.Add(kafka);
        }
        foreach (var (key, value) in settings) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("The worker could not be started.");
        var worker = new WorkerProcess(name, process);
        var log = Logs.GetOrAdd(logFile, path => new StreamWriter(path, append: true) { AutoFlush = true });
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            if (e.Data.Contains("Worker consuming", StringComparison.Ordinal)) worker._ready.TrySetResult();
            lock (log) log.WriteLine($"{name} {e.Data}");
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine($"{name} ! {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>SIGKILL: no drain, no release; its claims and unacked deliveries are left as a crash leaves them.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _ended = true;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM: the worker drains and exits.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        _ended = true;
        using (var term = Process.Start(new ProcessStartInfo("kill", $"-TERM {_process.Id}") { UseShellExecute = false })!) await term.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await _process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { await KillAsync(); }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
