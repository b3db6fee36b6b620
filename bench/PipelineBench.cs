using System.Diagnostics;
using System.Text;
using Azure;
using Azure.Data.Tables;
using EventProcessors.Bench.Harness;
using EventProcessors.Contracts;
using EventProcessors.Processing.Idempotency;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EventProcessors.Bench;

/// <summary>The figures of one pipeline run: throughput, latency, allocation per event, and Table operations per new event and per duplicate.</summary>
/// <param name="TablesKiBPerEvent">Of <paramref name="KiBPerEvent"/>, what the table backend's own calls allocated (in-memory tables only: their
/// calls complete on the calling thread; null on Table Storage, whose SDK continues on others).</param>
/// <param name="CpuMicrosecondsPerEvent">The process's CPU time (all threads) per event.</param>
/// <param name="Collections">Garbage collections and GC pause time during the timed run.</param>
public sealed record PipelineResult(string Backend, int Events, int Concurrency, double PerSecond, double P50Ms, double P99Ms, double KiBPerEvent,
    double? TablesKiBPerEvent, double CpuMicrosecondsPerEvent, string Collections,
    double OperationsPerNewEvent, double OperationsPerDuplicate, IReadOnlyDictionary<string, int> NewEventOperations, IReadOnlyDictionary<string, int> DuplicateOperations);

/// <summary>
/// Mode <c>pipeline</c>: the pipeline's own cost in process (read, validate, claim, handle, complete) with a trivial action, so the
/// figures are the pipeline's over the chosen table backend; then, through <see cref="CountingTables"/>, the Table operations the
/// idempotency record costs per new event and per duplicate (the action writes no table itself: its record goes into the outcome).
/// </summary>
public static class PipelineBench
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var result = await MeasureAsync(args.Text("storage", TableServiceClientFactory.InMemoryConnectionString), args.Int("events", 20_000), args.Int("concurrency", 16));
        Print(result, Console.Out);
        return 0;
    }

    public static void Print(PipelineResult r, TextWriter output)
    {
        output.WriteLine($"backend       {r.Backend}");
        output.WriteLine($"events        {r.Events} at concurrency {r.Concurrency}");
        output.WriteLine($"throughput    {r.PerSecond:F0} events/s");
        output.WriteLine($"latency p50   {r.P50Ms:F2} ms");
        output.WriteLine($"latency p99   {r.P99Ms:F2} ms");
        output.WriteLine($"allocated     {r.KiBPerEvent:F1} KiB/event (target <= 4)" + (r.TablesKiBPerEvent is { } tables
            ? $": {tables:F1} in the in-memory tables' own calls, {r.KiBPerEvent - tables:F1} in the pipeline and the idempotency store"
            : ""));
        output.WriteLine($"cpu           {r.CpuMicrosecondsPerEvent:F0} us/event (process, all threads)");
        output.WriteLine($"gc            {r.Collections}");
        output.WriteLine($"table ops     {r.OperationsPerNewEvent:F2} per new event ({Describe(r.NewEventOperations)}), {r.OperationsPerDuplicate:F2} per duplicate ({Describe(r.DuplicateOperations)}); issue: exactly 2 and 1");
    }

    private static string Describe(IReadOnlyDictionary<string, int> operations) => string.Join(", ", operations.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}"));

    public static async Task<PipelineResult> MeasureAsync(string storage, int events, int concurrency)
    {
        var inMemory = storage == TableServiceClientFactory.InMemoryConnectionString;
        var options = Options.Create(new ProcessingOptions { IdempotencyTableName = "Bench" + Guid.NewGuid().ToString("N")[..10] });
        var tables = TableServiceClientFactory.Create(new TableStorageOptions { ConnectionString = storage });
        var measured = new AllocationMeasuringTables(tables);
        var pipeline = new EventPipeline(new TableIdempotencyStore(inMemory ? measured : tables, options, TimeProvider.System), options, TimeProvider.System,
            NullLogger<EventPipeline>.Instance);
        var action = new EmitOne();
        var run = Guid.NewGuid().ToString("N")[..8];
        var bodies = Enumerable.Range(0, events).Select(i => Body(run, i)).ToArray();

        // Warm-up, on events of their own: table creation, JIT up to the optimised code, so the figures are the steady state's.
        await pipeline.ProcessAsync(new InboundMessage(bodies[0]), action, CancellationToken.None);
        for (var i = 0; i < Math.Min(10_000, events); i++) await pipeline.ProcessAsync(new InboundMessage(Body(run + "-warm", i)), action, CancellationToken.None);
        var latencies = new double[events];
        var next = 0;
        measured.Reset();
        var (gen0, gen1, gen2, pausedBefore) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < events; i = Interlocked.Increment(ref next))
            {
                // Each event a work item of its own, as the worker hands each delivery to the thread pool: in-memory calls complete
                // synchronously, and loops that never yield take a pool thread each, more threads than cores preempted holding locks.
                await Task.Yield();
                var started = Stopwatch.GetTimestamp();
                var result = await pipeline.ProcessAsync(new InboundMessage(bodies[i]), action, CancellationToken.None);
                if (result.Status != ProcessingStatus.Completed) throw new BenchFailure($"event {i}: {result.Status} {result.Error} {result.RetryReason}");
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        })));
        clock.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var gc = $"{GC.CollectionCount(0) - gen0}/{GC.CollectionCount(1) - gen1}/{GC.CollectionCount(2) - gen2} collections (gen 0/1/2), paused {(GC.GetTotalPauseDuration() - pausedBefore).TotalSeconds:F2} s";
        var sorted = latencies.Skip(1).Order().ToArray();
        double Percentile(double p) => sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(p * sorted.Length) - 1)];

        // Table operations, counted apart from the timed run: new events, then the same events again as duplicates.
        var counting = new CountingTables(tables);
        var counted = new EventPipeline(new TableIdempotencyStore(counting, options, TimeProvider.System), options, TimeProvider.System, NullLogger<EventPipeline>.Instance);
        var sample = Enumerable.Range(events, 200).Select(i => Body(run, i)).ToArray();
        await counted.ProcessAsync(new InboundMessage(Body(run, -1)), action, CancellationToken.None); // the store's table is known created
        var (perNew, newOperations) = await CountAsync(counting, counted, action, sample, ProcessingStatus.Completed);
        var (perDuplicate, duplicateOperations) = await CountAsync(counting, counted, action, sample, ProcessingStatus.Duplicate);

        var count = (double)sorted.Length;
        return new PipelineResult(inMemory ? "in-memory tables" : "Table Storage (" + storage + ")", sorted.Length, concurrency,
            count / clock.Elapsed.TotalSeconds, Percentile(0.50), Percentile(0.99), allocated / count / 1024.0,
            inMemory ? measured.Allocated / count / 1024.0 : null, cpu.TotalMicroseconds / count, gc,
            perNew, perDuplicate, newOperations, duplicateOperations);
    }

    private static async Task<(double PerEvent, IReadOnlyDictionary<string, int> Operations)> CountAsync(CountingTables counting, EventPipeline pipeline,
        IConsumerAction action, byte[][] bodies, ProcessingStatus expected)
    {
        counting.Reset();
        foreach (var body in bodies)
        {
            var result = await pipeline.ProcessAsync(new InboundMessage(body), action, CancellationToken.None);
            if (result.Status != expected) throw new BenchFailure($"expected {expected}, got {result.Status} {result.Error}");
        }
        return (counting.Requests / (double)bodies.Length, new Dictionary<string, int>(counting.ByOperation, StringComparer.Ordinal));
    }

    /// <summary>
    /// Counts what the backend's own calls allocate, on the calling thread (the in-memory tables complete there), so the
    /// pipeline's share of the figure can be told from the backend's.
    /// </summary>
    private sealed class AllocationMeasuringTables(ITableServiceClient inner) : ITableServiceClient
    {
        private long _allocated;

        public long Allocated => Interlocked.Read(ref _allocated);

        public void Reset() => Interlocked.Exchange(ref _allocated, 0);

        public ITableClient GetTableClient(string tableName) => new Table(inner.GetTableClient(tableName), this);

        private sealed class Table(ITableClient inner, AllocationMeasuringTables owner) : DelegatingTableClient(inner)
        {
            public override Task<ETag> AddEntityAsync(TableEntity entity, CancellationToken cancellationToken = default)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                var task = base.AddEntityAsync(entity, cancellationToken);
                return owner.Counted(before, task);
            }

            public override Task<TableEntity?> GetEntityAsync(string partitionKey, string rowKey, CancellationToken cancellationToken = default)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                var task = base.GetEntityAsync(partitionKey, rowKey, cancellationToken);
                return owner.Counted(before, task);
            }

            public override Task<ETag> UpdateEntityAsync(TableEntity entity, ETag ifMatch, TableUpdateMode mode, CancellationToken cancellationToken = default)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                var task = base.UpdateEntityAsync(entity, ifMatch, mode, cancellationToken);
                return owner.Counted(before, task);
            }

            public override Task<IReadOnlyList<ETag>> SubmitTransactionAsync(IEnumerable<TableTransactionAction> actions, CancellationToken cancellationToken = default)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                var task = base.SubmitTransactionAsync(actions, cancellationToken);
                return owner.Counted(before, task);
            }
        }

        private T Counted<T>(long before, T result)
        {
            Interlocked.Add(ref _allocated, GC.GetAllocatedBytesForCurrentThread() - before);
            return result;
        }
    }

    private static byte[] Body(string run, int i) => Encoding.UTF8.GetBytes($$"""
        { "type": "order.created", "timestamp": "2024-01-15T10:35:00.000Z", "tenantId": "tenant-123", "source": "orders-service", "correlationId": "corr-{{run}}-{{i}}",
          "data": { "orderId": "o-{{run}}-{{i}}", "orderNumber": "ORD-{{i}}", "customerId": "c-1", "currency": "USD", "grandTotal": "1500.00",
                    "lineItems": [ { "productId": "p-1", "description": "Product Name", "quantity": 5, "unitPrice": "300.00", "warehouseId": "wh-1" } ] } }
        """);

    /// <summary>Emits one follow-on and writes one record: the shape of a typical action, with no state of its own.</summary>
    private sealed class EmitOne : IConsumerAction
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
    private sealed record BenchRow(string EventId, decimal Quantity);
}
