using System.Net;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventProcessors.LocalHost.Hosting;

/// <summary>
/// <c>GET /healthz</c> (200 while the process serves requests: the liveness probe) and <c>GET /readyz</c> (200 when
/// <see cref="WorkerProbe"/> finds the worker running, the broker and its topology there and the store answering, else
/// 503 with the problems, one a line) on <c>http://127.0.0.1:&lt;HealthPort&gt;/</c>. Off when the port is 0.
/// </summary>
public sealed class HealthEndpoint(WorkerProbe probe, IOptions<OperationsOptions> options, ILogger<HealthEndpoint> logger) : IHostedService, IAsyncDisposable
{
    private HttpListener? _listener;
    private Task? _loop;

    /// <summary>The base address it listens on, once started.</summary>
    public Uri? Address { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.HealthPort <= 0) return Task.CompletedTask;
        var address = new Uri($"http://127.0.0.1:{options.Value.HealthPort}/");
        var listener = new HttpListener();
        listener.Prefixes.Add(address.ToString());
        try
        {
            listener.Start();
        }
        catch (HttpListenerException ex)
        {
            listener.Close();
            throw new HealthPortUnavailableException(options.Value.HealthPort, ex);
        }
        (_listener, Address) = (listener, address);
        _loop = Task.Run(() => ServeAsync(listener), CancellationToken.None);
        logger.LogInformation("Health endpoints on {Address}healthz and {Address}readyz", Address, Address);
        return Task.CompletedTask;
    }

    private async Task ServeAsync(HttpListener listener)
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }
            _ = Task.Run(() => RespondAsync(context));
        }
    }

    private async Task RespondAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var (status, text) = context.Request.Url?.AbsolutePath switch
            {
                "/healthz" => (200, "live"),
                "/readyz" => await ReadyAsync().ConfigureAwait(false),
                _ => (404, "not found: /healthz or /readyz"),
            };
            var body = Encoding.UTF8.GetBytes(text + "\n");
            response.StatusCode = status;
            response.ContentType = "text/plain; charset=utf-8";
            response.ContentLength64 = body.Length;
            await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or IOException)
        {
            logger.LogDebug(ex, "Health probe client went away.");
        }
        finally
        {
            response.Close();
        }
    }

    private async Task<(int, string)> ReadyAsync()
    {
        var readiness = await probe.CheckAsync(CancellationToken.None).ConfigureAwait(false);
        return readiness.Ready ? (200, "ready") : (503, string.Join('\n', readiness.Problems));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_listener is null) return;
        _listener.Stop();
        _listener.Close();
        if (_loop is not null) await _loop.ConfigureAwait(false);
        _listener = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);
}

/// <summary>The health port is taken (most often by a second <c>serve</c> on the same machine): a setting to change, not a crash.</summary>
public sealed class HealthPortUnavailableException(int port, Exception inner) : InvalidOperationException(
    $"The health endpoints cannot listen on 127.0.0.1:{port} ({inner.Message}); another process, perhaps a second serve, has that port. " +
    "Give each worker on this machine its own LocalHost__Operations__HealthPort, or 0 to turn the endpoints off.", inner)
{
    public int Port { get; } = port;
}
