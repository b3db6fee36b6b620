using System.Diagnostics;
using System.Net.Sockets;
using Xunit;

namespace EventProcessors.TestSupport;

/// <summary>
/// The real RabbitMQ broker. The URI comes from <c>RABBITMQ_URI</c> (default <c>amqp://guest:guest@127.0.0.1:5672/</c>).
/// When the broker does not answer, every test using the fixture fails with a message saying how to start it: these tests
/// never skip. Tests isolate themselves in a fresh virtual host (<see cref="CreateVirtualHostAsync"/>), so they can use the
/// real exchange and queue names; virtual hosts are managed with <c>rabbitmqctl</c> (the management API is not enabled).
/// </summary>
public sealed class RabbitMqFixture : IAsyncLifetime
{
    public const string UriVariable = "RABBITMQ_URI";

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan CtlTimeout = TimeSpan.FromSeconds(90);

    public RabbitMqFixture()
    {
        var configured = Environment.GetEnvironmentVariable(UriVariable);
        BaseUri = new Uri(string.IsNullOrWhiteSpace(configured) ? "amqp://guest:guest@127.0.0.1:5672/" : configured);
    }

    public Uri BaseUri { get; }

    /// <summary>The user of <see cref="BaseUri"/>, granted every permission on the virtual hosts tests create.</summary>
    public string User => Uri.UnescapeDataString(BaseUri.UserInfo.Split(':')[0] is { Length: > 0 } user ? user : "guest");

    public async Task InitializeAsync()
    {
        using var tcp = new TcpClient();
        using var timeout = new CancellationTokenSource(ConnectTimeout);
        try
        {
            await tcp.ConnectAsync(BaseUri.Host, BaseUri.IsDefaultPort || BaseUri.Port < 0 ? 5672 : BaseUri.Port, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            throw new InvalidOperationException(
                $"RabbitMQ is not reachable at {BaseUri.Host}:{BaseUri.Port} ({e.Message}). " +
                $"Start it with 'scripts/services.sh start', or point {UriVariable} at a running broker.", e);
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A new, empty virtual host with full permissions for <see cref="User"/>; deleted when disposed.</summary>
    public async Task<RabbitVirtualHost> CreateVirtualHostAsync(string prefix = "test")
    {
        var name = $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 60)];
        await RabbitCtlAsync("add_vhost", name);
        await RabbitCtlAsync("set_permissions", "-p", name, User, ".*", ".*", ".*");
        var builder = new UriBuilder(BaseUri) { Path = "/" + Uri.EscapeDataString(name) };
        return new RabbitVirtualHost(this, name, builder.Uri);
    }

    /// <summary>Stops the broker application (every connection drops) and starts it again, as a broker restart does.</summary>
    public async Task RestartBrokerAsync(TimeSpan down)
    {
        await RabbitCtlAsync("stop_app");
        await Task.Delay(down);
        await RabbitCtlAsync("start_app");
        await RabbitCtlAsync("await_startup");
    }

    /// <summary>Runs <c>rabbitmqctl</c> with the given arguments; throws with its output when it fails.</summary>
    public static Task<string> RabbitCtlAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("rabbitmqctl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        return RunAsync(start, CtlTimeout);
    }

    /// <summary>Runs a command to its end (killed after <paramref name="timeout"/>); its output, or an exception with it when it fails.</summary>
    public static async Task<string> RunAsync(ProcessStartInfo start, TimeSpan timeout)
    {
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} could not be started.");
        using var cancel = new CancellationTokenSource(timeout);
        var output = process.StandardOutput.ReadToEndAsync(cancel.Token);
        var error = process.StandardError.ReadToEndAsync(cancel.Token);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish within {timeout}.");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{start.FileName} {string.Join(' ', start.ArgumentList)} failed ({process.ExitCode}): {await error} {await output}");
        return await output;
    }
}

/// <summary>A virtual host of its own for one test; <see cref="Uri"/> points at it.</summary>
public sealed class RabbitVirtualHost(RabbitMqFixture fixture, string name, Uri uri) : IAsyncDisposable
{
    public string Name { get; } = name;

    public Uri Uri { get; } = uri;

    public RabbitMqFixture Broker { get; } = fixture;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RabbitMqFixture.RabbitCtlAsync("delete_vhost", Name);
        }
        catch (InvalidOperationException)
        {
            // Already gone, or the broker is down after a failed restart test; a leftover vhost harms no other test.
        }
    }
}
