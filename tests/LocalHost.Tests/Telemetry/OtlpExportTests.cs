using System.Diagnostics;
using System.Net;
using System.Text;
using EventProcessors.Contracts;
using EventProcessors.LocalHost.Hosting;
using EventProcessors.LocalHost.Tests.Support;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.LocalHost.Transport;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;
using C = EventProcessors.Contracts.EventTypes.Collector;

namespace EventProcessors.LocalHost.Tests.Telemetry;

/// <summary>
/// The same telemetry over OTLP: the worker (embedded broker and tables) exports with OTLP/HTTP to a receiver in this
/// process, and to the SDK's in-memory exporter, which shows the span tree. The receiver does not decode protobuf (no
/// OTLP proto package is served here); it checks what a decoder would find verbatim in the bytes: the trace id, names
/// and attribute strings.
/// </summary>
public sealed class OtlpExportTests : IAsyncDisposable
{
    private const string VisibleMarker = "otlp-note-18c2";
    private readonly OtlpReceiver _receiver = new();
    private IHost? _host;

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
        }
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task A_follow_on_chain_is_one_trace_of_producer_and_consumer_spans_sent_with_metrics_and_logs_over_otlp_http()
    {
        var spans = new List<Activity>();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [TelemetrySetup.OtlpEndpointSetting] = _receiver.Endpoint.ToString(),
            [TelemetrySetup.OtlpProtocolSetting] = "http/protobuf",
            ["LocalHost:Operations:QueueDepthInterval"] = "00:00:00",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddLocalHost(builder.Configuration);
        builder.Services.AddWorkerTelemetry(builder.Configuration).WithTracing(t => t.AddInMemoryExporter(spans));
        _host = builder.Build();
        await _host.StartAsync();
        var transport = _host.Services.GetRequiredService<IMessageTransport>();
        var timeline = _host.Services.GetRequiredService<TimelineRecorder>();

        // The upstream service's trace: every span of this chain belongs to it (and only this test's spans do).
        var upstream = ActivityTraceId.CreateRandom();
        await transport.PublishAsync(Destinations.CollectorExchange, C.OfferApproved,
            new OutboundMessage(CollectorChain.OfferApproved(Guid.NewGuid().ToString(), note: VisibleMarker), "application/json",
                Headers: new Dictionary<string, object?> { [MessageTracing.TraceParentHeader] = $"00-{upstream}-{ActivitySpanId.CreateRandom()}-01" }),
            CancellationToken.None);
        await timeline.WaitForAsync(t => t.Any(e => e.Actor == "CaptureOrder" && e.Kind == TimelineKind.Completed), TimeSpan.FromSeconds(30), "CaptureOrder");
        TelemetrySetup.Flush(_host.Services);

        Activity Span(string name) { lock (spans) return Assert.Single(spans, s => s.TraceId == upstream && s.DisplayName == name && (string?)s.GetTagItem(MessagingTags.EventType) is C.OfferApproved or C.OrderCreated); }
        var created = Span("process CreateOrderFromOffer");
        var publish = Span("publish collector-events");
        var captured = Span("process CaptureOrder");
        Assert.Equal((ActivityKind.Consumer, ActivityKind.Producer, ActivityKind.Consumer), (created.Kind, publish.Kind, captured.Kind));
        Assert.Equal((created.SpanId, publish.SpanId), (publish.ParentSpanId, captured.ParentSpanId));
        Assert.Equal("inmemory", (string?)publish.GetTagItem(MessagingTags.System));

        var traces = _receiver.Body("/v1/traces");
        AssertContains(traces, Convert.FromHexString(upstream.ToHexString()));
        AssertContains(traces, "process CaptureOrder"u8.ToArray());
        AssertContains(traces, "worker"u8.ToArray());
        AssertContains(_receiver.Body("/v1/metrics"), "eventprocessors.events.handled"u8.ToArray());
        var logs = _receiver.Body("/v1/logs");
        AssertContains(logs, "CaptureOrder handled order.created"u8.ToArray());
        AssertContains(logs, Encoding.UTF8.GetBytes(VisibleMarker));
        Assert.Equal("application/x-protobuf", _receiver.ContentType("/v1/traces"));
    }

    private static void AssertContains(byte[] body, byte[] expected) =>
        Assert.True(body.AsSpan().IndexOf(expected) >= 0, $"{Encoding.UTF8.GetString(expected)} not in the {body.Length} bytes received");

    /// <summary>An OTLP/HTTP endpoint on loopback that keeps the bodies it was sent, per path, and answers 200.</summary>
    private sealed class OtlpReceiver : IAsyncDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Dictionary<string, (string? ContentType, MemoryStream Body)> _received = [];
        private readonly Task _loop;

        public OtlpReceiver()
        {
            Endpoint = new Uri($"http://127.0.0.1:{IngestionListener.FreePort()}/");
            _listener.Prefixes.Add(Endpoint.ToString());
            _listener.Start();
            _loop = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    HttpListenerContext context;
                    try { context = await _listener.GetContextAsync(); }
                    catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
                    var body = new MemoryStream();
                    await context.Request.InputStream.CopyToAsync(body);
                    lock (_received)
                    {
                        var path = context.Request.Url!.AbsolutePath;
                        if (!_received.TryGetValue(path, out var kept)) _received[path] = kept = (context.Request.ContentType, new MemoryStream());
                        body.WriteTo(kept.Body);
                    }
                    context.Response.StatusCode = 200;
                    context.Response.Close();
                }
            });
        }

        public Uri Endpoint { get; }

        public byte[] Body(string path) { lock (_received) return _received.TryGetValue(path, out var kept) ? kept.Body.ToArray() : []; }

        public string? ContentType(string path) { lock (_received) return _received.GetValueOrDefault(path).ContentType; }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            _listener.Close();
            await _loop;
        }
    }
}
