using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
namespace EventProcessors.TestSupport;

/// <summary>
/// A RabbitMQ node of a test's own (its own name, ports, data and log folders), so it can be restarted or stopped
/// without touching the shared broker. AMQP on 5673 when free, else on a free port.
/// </summary>
public sealed class PrivateRabbitMq : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);
    private static int _started;
    private readonly string _home;

    private PrivateRabbitMq(string node, int port, string home)
    {
        Node = node;
        Port = port;
        _home = home;
        Uri = new Uri($"amqp://guest:guest@127.0.0.1:{port}/");
    }

    public string Node { get; }
    public int Port { get; }
    public Uri Uri { get; }

    public static async Task<PrivateRabbitMq> StartAsync()
    {
        var port = IsFree(5673) ? 5673 : FreePort();
        var node = $"private{Environment.ProcessId}x{Interlocked.Increment(ref _started)}";
        var home = Directory.CreateTempSubdirectory("private-rabbit-").FullName;
        // Run as root, rabbitmq-server switches to the rabbitmq user, which must own its folders (elsewhere chown fails: no matter).
        using (var chown = Process.Start("chown", ["-R", "rabbitmq:rabbitmq", home])) await chown.WaitForExitAsync();
        var broker = new PrivateRabbitMq(node, port, home);
        var start = broker.Command("rabbitmq-server", "-detached");
        using (var process = Process.Start(start)!) await process.WaitForExitAsync();
        await broker.AwaitStartupAsync();
        return broker;
    }

    /// <summary>await_startup waits for a booting node, but fails at once while the node has not registered yet: ask again.</summary>
    private async Task AwaitStartupAsync()
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            try
            {
                await CtlAsync(StartTimeout, "await_startup");
                return;
            }
            catch (InvalidOperationException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
        }
    }

    /// <summary>Stops the broker application (every connection drops), waits, starts it again.</summary>
    public async Task RestartAsync(TimeSpan down)
    {
        await CtlAsync(TimeSpan.FromMinutes(2), "stop_app");
        await Task.Delay(down);
        await CtlAsync(TimeSpan.FromMinutes(2), "start_app");
        await AwaitStartupAsync();
    }

    /// <summary>Messages in each queue, ready and unacknowledged together.</summary>
    public async Task<IReadOnlyDictionary<string, long>> QueueDepthsAsync()
    {
        var output = await CtlAsync(TimeSpan.FromMinutes(1), "list_queues", "--quiet", "--no-table-headers", "name", "messages");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('\t'))
            .Where(parts => parts.Length == 2 && long.TryParse(parts[1], out _))
            .ToDictionary(parts => parts[0], parts => long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    public async ValueTask DisposeAsync()
    {
        try { await CtlAsync(TimeSpan.FromMinutes(1), "stop"); }
        catch (Exception) { /* already gone */ }
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { /* best effort */ }
    }

    private async Task<string> CtlAsync(TimeSpan timeout, params string[] arguments)
    {
        var start = Command("rabbitmqctl", ["-n", Node, .. arguments]);
        return await RabbitMqFixture.RunAsync(start, timeout);
    }

    private ProcessStartInfo Command(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _home };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["RABBITMQ_NODENAME"] = Node;
        start.Environment["RABBITMQ_NODE_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["RABBITMQ_DIST_PORT"] = (Port + 20000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["RABBITMQ_MNESIA_BASE"] = Path.Combine(_home, "mnesia");
        start.Environment["RABBITMQ_LOG_BASE"] = Path.Combine(_home, "log");
        start.Environment["RABBITMQ_PID_FILE"] = Path.Combine(_home, "pid");
        start.Environment["RABBITMQ_CONFIG_FILE"] = Path.Combine(_home, "rabbitmq");
        start.Environment["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_home, "enabled_plugins");
        return start;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return IsFreeDist(port + 20000);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static bool IsFreeDist(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Any, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var port = Random.Shared.Next(20000, 40000);
            if (IsFree(port)) return port;
        }
        throw new InvalidOperationException("No free port pair for a private RabbitMQ node.");
    }
}
