using System.Diagnostics;
using System.Text;
using EventProcessors.Contracts;
using EventProcessors.Processing.Idempotency;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

// Pipeline throughput and per-event latency: read, validate, claim, handle, complete, with a trivial action,
// so the figures are the pipeline's own cost over the chosen table backend.
// Usage: dotnet run -c Release --project bench -- [inmemory|<connection string>] [events] [concurrency]
var storage = args.Length > 0 ? args[0] : TableServiceClientFactory.InMemoryConnectionString;
var events = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20_000;
var concurrency = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 16;

var options = Options.Create(new ProcessingOptions { IdempotencyTableName = "Bench" + Guid.NewGuid().ToString("N")[..10] });
var tables = TableServiceClientFactory.Create(new TableStorageOptions { ConnectionString = storage });
var pipeline = new EventPipeline(new TableIdempotencyStore(tables, options, TimeProvider.System), options, TimeProvider.System, NullLogger<EventPipeline>.Instance);
var action = new EmitOne();
var bodies = Enumerable.Range(0, events).Select(i => Encoding.UTF8.GetBytes($$"""
    { "type": "order.created", "timestamp": "2024-01-15T10:35:00.000Z", "tenantId": "tenant-123", "source": "orders-service", "correlationId": "corr-{{i}}",
      "data": { "orderId": "o-{{i}}", "orderNumber": "ORD-{{i}}", "customerId": "c-1", "currency": "USD", "grandTotal": "1500.00",
                "lineItems": [ { "productId": "p-1", "description": "Product Name", "quantity": 5, "unitPrice": "300.00", "warehouseId": "wh-1" } ] } }
    """)).ToArray();

await pipeline.ProcessAsync(new InboundMessage(bodies[0]), action, CancellationToken.None); // warm-up: table creation, JIT
var latencies = new double[events];
var next = 0;
var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
var clock = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
{
    for (var i = Interlocked.Increment(ref next); i < events; i = Interlocked.Increment(ref next))
    {
        var started = Stopwatch.GetTimestamp();
        var result = await pipeline.ProcessAsync(new InboundMessage(bodies[i]), action, CancellationToken.None);
        if (result.Status != ProcessingStatus.Completed) throw new InvalidOperationException($"event {i}: {result.Status} {result.Error} {result.RetryReason}");
        latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }
})));
clock.Stop();
var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
var measured = latencies.Skip(1).Order().ToArray();

Console.WriteLine($"backend       {(storage == TableServiceClientFactory.InMemoryConnectionString ? "in-memory tables" : "Table Storage (" + storage + ")")}");
Console.WriteLine($"events        {measured.Length} at concurrency {concurrency}");
Console.WriteLine($"throughput    {measured.Length / clock.Elapsed.TotalSeconds:F0} events/s");
Console.WriteLine($"latency p50   {Percentile(0.50):F2} ms");
Console.WriteLine($"latency p99   {Percentile(0.99):F2} ms");
Console.WriteLine($"allocated     {allocated / measured.Length / 1024.0:F1} KiB/event");
return;

double Percentile(double p) => measured[(int)Math.Min(measured.Length - 1, Math.Ceiling(p * measured.Length) - 1)];

/// <summary>Emits one follow-on and writes one record: the shape of a typical action, with no state of its own.</summary>
sealed class EmitOne : IConsumerAction
{
    public ConsumerDefinition Definition { get; } = new("Bench", "bench.emit-one", EventBus.Collector, [EventTypes.Collector.OrderCreated])
    {
        Emits = [EventTypes.Collector.StockReserved],
        Writes = [typeof(BenchRow)],
    };

    public Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        context.Emit(EventTypes.Collector.StockReserved, new { orderId = context.Event.Id }, partitionKey: context.Event.Id);
        context.Write(new BenchRow(context.Event.Id, 5m));
        return Task.CompletedTask;
    }
}

[SqlTable("BenchRows")]
sealed record BenchRow(string EventId, decimal Quantity);
