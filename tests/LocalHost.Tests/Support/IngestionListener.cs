using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace EventProcessors.LocalHost.Tests.Support;

/// <summary>
/// A stand-in for the Application Insights ingestion endpoint (no real one can be had here): an HTTP listener on
/// loopback that accepts what the Azure Monitor exporter POSTs to <c>v2.1/track</c> (gzip-compressed JSON lines),
/// answers as the service does, and keeps every decoded line and the raw text for assertions.
/// </summary>
public sealed class IngestionListener : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<JsonObject> _items = [];
    private readonly StringBuilder _raw = new();
    private readonly Task _loop;

    public IngestionListener()
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    /// <summary>A connection string sending everything here (the instrumentation key is made up).</summary>
    public string ConnectionString => $"InstrumentationKey=00000000-0000-4000-8000-000000000014;IngestionEndpoint=http://127.0.0.1:{Port}/";

    public IReadOnlyList<JsonObject> Items { get { lock (_items) return _items.ToArray(); } }

    /// <summary>Everything received, decompressed, as one text.</summary>
    public string Raw { get { lock (_items) return _raw.ToString(); } }

    /// <summary>Items of one telemetry type: Request, RemoteDependency, Message, Metric, Exception.</summary>
    public IReadOnlyList<JsonObject> OfType(string baseType) =>
        Items.Where(i => (string?)i["data"]?["baseType"] == baseType + "Data").ToArray();

    public static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            body.Position = 0;
            Stream input = context.Request.Headers["Content-Encoding"] == "gzip" ? new GZipStream(body, CompressionMode.Decompress) : body;
            var text = await new StreamReader(input, Encoding.UTF8).ReadToEndAsync();
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            lock (_items)
            {
                _raw.AppendLine(text);
                foreach (var line in lines) if (JsonNode.Parse(line) is JsonObject item) _items.Add(item);
            }
            var answer = Encoding.UTF8.GetBytes($$"""{"itemsReceived":{{lines.Length}},"itemsAccepted":{{lines.Length}},"errors":[]}""");
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(answer);
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
