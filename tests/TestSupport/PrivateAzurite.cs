using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EventProcessors.Processing.Storage;

namespace EventProcessors.TestSupport;

/// <summary>
/// An Azurite Table endpoint of one test's own, on a free port in memory, for fault injection: it can be
/// paused (SIGSTOP: the socket accepts, nothing answers, as a hung storage account) and resumed (SIGCONT) without
/// touching the shared instance. Azurite is looked for in <c>AZURITE_TABLE_BIN</c>, the repository's <c>.tools</c>
/// (where <c>scripts/services.sh</c> installs it), then the PATH.
/// </summary>
public sealed class PrivateAzurite : IAsyncDisposable
{
    // Azurite's well-known development account key (published in its documentation; not a secret).
    private const string DevelopmentAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly string _location;

    private PrivateAzurite(Process process, int port, string location)
    {
        _process = process;
        _location = location;
        Port = port;
        ConnectionString = $"DefaultEndpointsProtocol=http;AccountName={TableServiceClientFactory.DevelopmentAccountName};" +
            $"AccountKey={DevelopmentAccountKey};TableEndpoint=http://127.0.0.1:{port}/{TableServiceClientFactory.DevelopmentAccountName};";
    }

    public int Port { get; }

    public string ConnectionString { get; }

    public int ProcessId => _process.Id;

    public static async Task<PrivateAzurite> StartAsync()
    {
        var binary = Locate();
        var port = FreePort();
        // In memory, in a working folder of its own (Azurite writes its debug and extent files there).
        var location = Directory.CreateTempSubdirectory("azurite-").FullName;
        var start = new ProcessStartInfo(binary) { UseShellExecute = false, WorkingDirectory = location, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--inMemoryPersistence", "--skipApiVersionCheck", "--tableHost", "127.0.0.1", "--tablePort", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{binary} could not be started.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var azurite = new PrivateAzurite(process, port, location);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await AcceptsAsync(port))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                await azurite.DisposeAsync();
                throw new InvalidOperationException($"Azurite ({binary}) did not open port {port} within 30 s.");
            }
            await Task.Delay(100);
        }
        return azurite;
    }

    /// <summary>Freezes the process: connections are accepted by the kernel and never answered.</summary>
    public Task PauseAsync() => SignalAsync("STOP");

    public Task ResumeAsync() => SignalAsync("CONT");

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await SignalAsync("CONT");
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
        try { Directory.Delete(_location, recursive: true); } catch (IOException) { /* best effort */ }
    }

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {_process.Id}") { UseShellExecute = false })
            ?? throw new InvalidOperationException("kill could not be started.");
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -{signal} {_process.Id} failed ({kill.ExitCode}).");
    }

    private static string Locate()
    {
        var configured = Environment.GetEnvironmentVariable("AZURITE_TABLE_BIN");
        if (!string.IsNullOrWhiteSpace(configured)) return configured;
        var bundled = RepositoryFiles.PathOf(Path.Combine(".tools", "node_modules", ".bin", "azurite-table"));
        if (File.Exists(bundled)) return bundled;
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "azurite-table")).FirstOrDefault(File.Exists);
        return onPath ?? throw new InvalidOperationException(
            "azurite-table was not found: run 'scripts/services.sh start' (installs it into .tools) or set AZURITE_TABLE_BIN.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
