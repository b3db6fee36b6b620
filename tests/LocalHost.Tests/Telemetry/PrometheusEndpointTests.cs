using System.Text;
using System.Text.RegularExpressions;
using EventProcessors.Contracts;
using EventProcessors.LocalHost.Hosting;
using EventProcessors.LocalHost.Tests.Support;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.LocalHost.Transport;
using EventProcessors.Processing.Actions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using C = EventProcessors.Contracts.EventTypes.Collector;

namespace EventProcessors.LocalHost.Tests.Telemetry;

/// <summary>Tests asserting exact counts of the process-wide <c>EventProcessors</c> Meter: run after the others, one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideMetricsCollection
{
    public const string Name = "Process-wide metrics";
}

/// <summary>
/// The optional Prometheus scrape endpoint of <c>serve</c> (<c>LocalHost:Operations:PrometheusPort</c>), scraped over HTTP while
/// the worker (embedded broker and tables) handles an order-to-cash start and a misrouted message of a type outside the catalog.
/// Its counts are exact, and the product's Meter is process-wide: it runs alone, not beside tests whose actions it would count.
/// </summary>
[Collection(ProcessWideMetricsCollection.Name)]
public sealed partial class PrometheusEndpointTests : IAsyncDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private IHost? _host;

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
        }
        _http.Dispose();
    }

    [Fact]
    public async Task The_scrape_shows_handled_dead_letters_and_durations_per_consumer_with_only_catalogued_event_types_and_no_ids()
    {
        var port = IngestionListener.FreePort();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LocalHost:Operations:HealthPort"] = IngestionListener.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["LocalHost:Operations:PrometheusPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["LocalHost:Operations:QueueDepthInterval"] = "00:00:00.200",
        });
        builder.Services.AddLocalHost(builder.Configuration);
        builder.Services.AddWorkerTelemetry(builder.Configuration, operations: true);
        _host = builder.Build();
        await _host.StartAsync();
        var transport = _host.Services.GetRequiredService<IMessageTransport>();
        var timeline = _host.Services.GetRequiredService<TimelineRecorder>();
        var metrics = new Uri($"http://127.0.0.1:{port}/metrics");

        var offerId = Guid.NewGuid().ToString();
        var unknownId = "evt-" + Guid.NewGuid().ToString("N");
        await transport.PublishAsync(Destinations.CollectorExchange, C.OfferApproved,
            new OutboundMessage(CollectorChain.OfferApproved(offerId), "application/json"), CancellationToken.None);
        // Straight into CaptureOrder's queue: a type no catalogue knows, dead-lettered as misrouted.
        await transport.PublishAsync("", Consumers.CaptureOrder.Queue, new OutboundMessage(Encoding.UTF8.GetBytes(
            $$$"""{"specversion":"1.0","id":"{{{unknownId}}}","type":"order.teleported.{{{unknownId}}}","source":"orders-service","data":{}}"""),
            CloudEvent.JsonContentType), CancellationToken.None);
        await timeline.WaitForAsync(t => t.Any(e => e.Actor == "CaptureOrder" && e.Kind == TimelineKind.Completed)
            && t.Any(e => e.Actor == "CaptureOrder" && e.Kind == TimelineKind.DeadLettered), TimeSpan.FromSeconds(30), "CaptureOrder's two verdicts");

        var scrape = await ScrapeUntilAsync(metrics, text => Value(text, "eventprocessors_events_handled_total", ("consumer", "CaptureOrder")) >= 1
            && Value(text, "eventprocessors_events_dead_letters_total", ("consumer", "CaptureOrder"), ("reason", "UnknownType")) >= 1
            && Value(text, "eventprocessors_queue_ready", ("queue", Consumers.CaptureOrder.Queue)) is not null);

        Assert.Equal(1, Value(scrape, "eventprocessors_events_handled_total", ("consumer", "CreateOrderFromOffer"), ("event_type", C.OfferApproved)));
        Assert.Equal(1, Value(scrape, "eventprocessors_events_handled_total", ("consumer", "CaptureOrder"), ("event_type", C.OrderCreated)));
        Assert.Equal(1, Value(scrape, "eventprocessors_events_dead_letters_total", ("consumer", "CaptureOrder"), ("event_type", "unknown"), ("reason", "UnknownType")));
        Assert.Equal(1, Value(scrape, "eventprocessors_handler_duration_milliseconds_count", ("consumer", "CaptureOrder"), ("event_type", C.OrderCreated)));
        Assert.NotNull(Value(scrape, "eventprocessors_event_age_seconds_count", ("consumer", "CaptureOrder")));
        Assert.Contains("# TYPE eventprocessors_events_handled_total counter", scrape, StringComparison.Ordinal);
        Assert.Contains("# TYPE eventprocessors_handler_duration_milliseconds histogram", scrape, StringComparison.Ordinal);

        // Bounded tags: event types only from the catalog, consumers only the registered actions, and no id of any event.
        var samples = Samples(scrape).Where(s => s.Name.StartsWith("eventprocessors_", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(samples);
        Assert.All(samples.SelectMany(s => s.Labels).Where(l => l.Key == "event_type"), l => Assert.True(EventCatalog.IsKnown(l.Value) || l.Value == "unknown", l.Value));
        var actions = Consumers.All.Select(c => c.Name).Concat([Consumers.AuditCollectorEvents.Name, Consumers.AuditMesEvents.Name]).ToHashSet();
        Assert.All(samples.SelectMany(s => s.Labels).Where(l => l.Key == "consumer"), l => Assert.Contains(l.Value, actions));
        Assert.DoesNotContain(offerId, scrape, StringComparison.Ordinal);
        Assert.DoesNotContain(unknownId, scrape, StringComparison.Ordinal);
    }

    private async Task<string> ScrapeUntilAsync(Uri metrics, Func<string, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var text = "";
        while (DateTime.UtcNow < deadline)
        {
            using var response = await _http.GetAsync(metrics);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
            text = await response.Content.ReadAsStringAsync();
            if (condition(text)) return text;
            await Task.Delay(200);
        }
        throw new TimeoutException("The scrape never showed the expected samples:\n" + text);
    }

    /// <summary>The value of the one sample of <paramref name="name"/> that has all of <paramref name="labels"/>, or null.</summary>
    private static double? Value(string scrape, string name, params (string Key, string Value)[] labels) =>
        Samples(scrape).Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value)).Select(s => (double?)s.Value).SingleOrDefault();

    /// <summary>The samples of a text-format scrape: <c>name{label="value",...} value [timestamp]</c>.</summary>
    private static IEnumerable<(string Name, Dictionary<string, string> Labels, double Value)> Samples(string scrape) =>
        scrape.Split('\n').Where(line => line.Length > 0 && line[0] != '#').Select(line => SampleLine().Match(line)).Where(m => m.Success)
            .Select(m => (m.Groups["name"].Value,
                LabelPair().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups["key"].Value, l => l.Groups["value"].Value),
                double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture)));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}
