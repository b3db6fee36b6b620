using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.LocalHost.Hosting;
using EventProcessors.LocalHost.Tests.Support;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.LocalHost.Transport;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Hosting;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Telemetry;
using EventProcessors.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Hosting;
using C = EventProcessors.Contracts.EventTypes.Collector;

namespace EventProcessors.LocalHost.Tests.Telemetry;

/// <summary>
/// The worker as <c>serve</c> wires its telemetry, with the Azure Monitor exporter pointed at a local ingestion listener,
/// run through order-to-cash over RabbitMQ (a fresh vhost) and Azurite. Upstream services answer each follow-on the way an
/// instrumented Collector service would: their event carries the <c>traceparent</c> of the message they reacted to. What
/// the exporter really sent is decoded and asserted on.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class ApplicationInsightsExportTests(RabbitMqFixture rabbit, AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const string VisibleMarker = "visible-note-5c1d";
    private const string ConfidentialMarker = "card-holder-9f3e";

    private RabbitVirtualHost? _vhost;
    private IHost? _host;
    private readonly IngestionListener _ingestion = new();

    static ApplicationInsightsExportTests()
    {
        // The exporter's own usage statistics would go to Microsoft's endpoints: nothing leaves this machine.
        Environment.SetEnvironmentVariable("APPLICATIONINSIGHTS_STATSBEAT_DISABLED", "true");
        Environment.SetEnvironmentVariable("APPLICATIONINSIGHTS_SDKSTATS_DISABLED", "true");
    }

    public async Task InitializeAsync() => _vhost = await rabbit.CreateVirtualHostAsync("appinsights");

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
        }
        await _ingestion.DisposeAsync();
        if (_vhost is not null) await _vhost.DisposeAsync();
    }

    [Fact]
    public async Task Order_to_cash_is_one_operation_with_dependencies_metrics_and_scoped_logs_and_no_confidential_payload()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [LocalHostSettingNames.Transport] = "rabbitmq",
            [SettingNames.RabbitMQConnection] = _vhost!.Uri.ToString(),
            [SettingNames.TableStorage] = azurite.ConnectionString,
            [SettingNames.TableNamePrefix] = "t" + Guid.NewGuid().ToString("N")[..10],
            [TelemetrySetup.ConnectionStringSetting] = _ingestion.ConnectionString,
            ["LocalHost:RetryBaseDelay"] = "00:00:00.050",
        }).Build();
        // A real host, as serve runs: the exporters register themselves from hosted services.
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddLocalHost(builder.Configuration);
        builder.Services.AddEventProcessorsTelemetry(builder.Configuration, TelemetryHost.Worker, options =>
        {
            options.EnableLiveMetrics = false;
            options.DisableOfflineStorage = true;
            options.SamplingRatio = 1f;
            options.TracesPerSecond = null;
        });
        _host = builder.Build();
        await _host.StartAsync();
        var services = _host.Services;
        var transport = services.GetRequiredService<IMessageTransport>();
        var timeline = services.GetRequiredService<TimelineRecorder>();
        await using var tap = await ExchangeTap.StartAsync(transport);
        var stock = new StockLevels(services.GetRequiredService<ITableServiceClient>());
        await stock.DefineAsync("tenant-123", new StockItem
        {
            ProductId = "p-4711", ProductName = "Product Name", Sku = "SKU-4711", WarehouseId = "wh-1", WarehouseName = "Main",
            OnHand = 100, ReorderLevel = 10, Primary = true,
        });

        // The offer comes from an instrumented upstream service: its trace is the operation (and tells this test's telemetry
        // from that of tests running alongside in this process).
        var operation = System.Diagnostics.ActivityTraceId.CreateRandom().ToHexString();
        await PublishAsync(transport, C.OfferApproved, CollectorChain.OfferApproved(Guid.NewGuid().ToString(), note: VisibleMarker),
            $"00-{operation}-{System.Diagnostics.ActivitySpanId.CreateRandom()}-01");
        var (order, orderTrace) = await FollowOnAsync<OrderCreated>(tap, C.OrderCreated);
        await PublishAsync(transport, C.OrderConfirmed, CollectorChain.OrderConfirmed(order), orderTrace);
        var (note, noteTrace) = await FollowOnAsync<DeliveryNoteCreated>(tap, C.DeliveryNoteCreated);
        await PublishAsync(transport, C.DeliveryDispatched, CollectorChain.DeliveryDispatched(note, order), noteTrace);
        await timeline.WaitForAsync(t => t.Any(e => e.Actor == "DeductStock" && e.Kind == TimelineKind.Completed), Timeout, "DeductStock");
        await PublishAsync(transport, C.DeliveryConfirmed, CollectorChain.DeliveryConfirmed(note, order), noteTrace);
        var (invoice, invoiceTrace) = await FollowOnAsync<InvoiceIssued>(tap, C.InvoiceIssued);
        // invoice.paid as a structured CloudEvent: trace context in the body, payload classified confidential.
        await PublishAsync(transport, C.InvoicePaid, CollectorChain.ConfidentialInvoicePaid(invoice, invoiceTrace!, ConfidentialMarker));
        await timeline.WaitForAsync(t => t.Any(e => e.Actor == "RecordPayment" && e.Kind == TimelineKind.Completed), Timeout, "RecordPayment");
        await timeline.WaitForAsync(t => t.Any(e => e.Actor == "SyncInvoice" && e.Kind == TimelineKind.Completed), Timeout, "SyncInvoice");
        Assert.Empty(timeline.OfKind(TimelineKind.DeadLettered));

        TelemetrySetup.Flush(services);

        // One operation: every consumer span of the chain is a request of the same operation id.
        var requests = _ingestion.OfType("Request");
        string[] chain = ["CreateOrderFromOffer", "CaptureOrder", "CreateDeliveryNote", "ReserveStock", "DeductStock", "GenerateInvoice", "RecordPayment", "SyncInvoice"];
        var ours = requests.Where(r => Tag(r, "ai.operation.id") == operation).ToArray();
        Assert.Equal(chain.Order(StringComparer.Ordinal), ours.Select(r => Name(r)!["process ".Length..]).Distinct().Order(StringComparer.Ordinal));
        Assert.All(ours, r => Assert.Equal("[event-processors]/worker", Tag(r, "ai.cloud.role")));
        // A payment may come before SyncInvoice posted its receivable and be retried once: the completed attempt is the one to check.
        var payment = Assert.Single(ours, r => Name(r) == "process RecordPayment" && Property(r, "eventprocessors.outcome") == "Completed");
        Assert.Equal((C.InvoicePaid, "tenant-123", "corr-123", "Completed", "RecordPayment"),
            (Property(payment, "cloudevents.event_type"), Property(payment, "eventprocessors.tenant_id"), Property(payment, "messaging.message.conversation_id"),
             Property(payment, "eventprocessors.outcome"), Property(payment, "eventprocessors.consumer")));

        // Broker publishes and Table Storage calls are dependencies of that operation.
        var dependencies = _ingestion.OfType("RemoteDependency").Where(d => Tag(d, "ai.operation.id") == operation).ToArray();
        Assert.Contains(dependencies, d => Name(d) == "publish collector-events" && Property(d, "cloudevents.event_type") == C.OrderCreated);
        Assert.Contains(dependencies, d => (string?)d["data"]!["baseData"]!["target"] is { } target && target.Contains("127.0.0.1:10002", StringComparison.Ordinal));
        // The consumer of order.created is the child of its producer span.
        var orderPublishes = dependencies.Where(d => Name(d) == "publish collector-events" && Property(d, "cloudevents.event_type") == C.OrderCreated)
            .Select(d => (string?)d["data"]!["baseData"]!["id"]);
        Assert.Contains(Tag(Assert.Single(ours, r => Name(r) == "process CaptureOrder" && Property(r, "cloudevents.event_type") == C.OrderCreated), "ai.operation.parentId"), orderPublishes);

        // Metrics with bounded tags.
        var metrics = _ingestion.OfType("Metric");
        Assert.Contains(metrics, m => MetricName(m) == "eventprocessors.events.handled"
            && Property(m, "consumer") == "RecordPayment" && Property(m, "event_type") == C.InvoicePaid);
        Assert.Contains(metrics, m => MetricName(m) == "eventprocessors.handler.duration" && Property(m, "consumer") == "GenerateInvoice");
        Assert.Contains(metrics, m => MetricName(m) == "eventprocessors.event.age" && Property(m, "event_type") == C.OfferApproved);

        // Logs keep their scopes as custom dimensions.
        var messages = _ingestion.OfType("Message");
        var handled = Assert.Single(messages, m => Tag(m, "ai.operation.id") == operation && ((string?)m["data"]!["baseData"]!["message"])?.StartsWith("RecordPayment handled invoice.paid", StringComparison.Ordinal) == true);
        Assert.Equal(("RecordPayment", C.InvoicePaid, "corr-123", "tenant-123"),
            (Property(handled, "Consumer"), Property(handled, "EventType"), Property(handled, "CorrelationId"), Property(handled, "TenantId")));
        Assert.Equal(operation, Tag(handled, "ai.operation.id"));
        Assert.NotNull(Property(handled, "EventId"));
        // A follow-on's log names its cause: order.created was caused by offer.approved.
        var captured = Assert.Single(messages, m => Tag(m, "ai.operation.id") == operation && ((string?)m["data"]!["baseData"]!["message"])?.StartsWith("CaptureOrder handled order.created", StringComparison.Ordinal) == true);
        Assert.NotNull(Property(captured, "CausationId"));
        Assert.NotEqual(Property(captured, "EventId"), Property(captured, "CausationId"));

        // The internal payload is logged at Debug (so payloads do reach the exporter); the confidential one nowhere.
        Assert.Contains(VisibleMarker, _ingestion.Raw, StringComparison.Ordinal);
        Assert.DoesNotContain(ConfidentialMarker, _ingestion.Raw, StringComparison.Ordinal);
    }

    private static string? Name(JsonObject item) => (string?)item["data"]?["baseData"]?["name"];

    private static string? MetricName(JsonObject item) => (string?)item["data"]?["baseData"]?["metrics"]?[0]?["name"];

    private static string? Tag(JsonObject item, string tag) => (string?)item["tags"]?[tag];

    private static string? Property(JsonObject item, string name) => item["data"]?["baseData"]?["properties"]?[name]?.ToString();

    private static Task PublishAsync(IMessageTransport transport, string type, byte[] body, string? traceParent = null) =>
        transport.PublishAsync(Destinations.CollectorExchange, type, new OutboundMessage(body, "application/json",
            Headers: traceParent is null ? null : new Dictionary<string, object?> { [MessageTracing.TraceParentHeader] = traceParent }), CancellationToken.None);

    private static async Task<(T Data, string? TraceParent)> FollowOnAsync<T>(ExchangeTap tap, string type)
    {
        await tap.WaitForAsync(m => m.Any(x => x.RoutingKey == type), Timeout, type + " on the exchange");
        var message = tap.OfType(type)[0];
        var e = JsonSerializer.Deserialize<CloudEvent>(message.Body, ContractJson.Options)!;
        message.Headers.TryGetValue(MessageTracing.TraceParentHeader, out var header);
        // The header is the publish span, the body the span that created the event: one trace.
        Assert.NotEqual(e.TraceParent, header);
        Assert.Equal(e.TraceParent![..35], header![..35]);
        return (e.DataAs<T>()!, header);
    }
}
