using System.Diagnostics;

namespace EventProcessors.Chaos.Tests;

/// <summary>
/// The self-hosted worker (<c>serve</c>) as a separate process, which can be killed with SIGKILL as a crash does: Collector actions
/// over RabbitMQ and, given Kafka bootstrap servers, MES actions over Kafka (<c>serve --kafka</c>).
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private WorkerProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public bool HasExited => _process.HasExited;

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
        var log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine($"{name} {e.Data}"); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine($"{name} ! {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new WorkerProcess(name, process);
    }

    /// <summary>SIGKILL: no drain, no release; its claims and unacked deliveries are left as a crash leaves them.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM: the worker drains and exits.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
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
