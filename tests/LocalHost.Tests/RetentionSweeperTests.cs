using System.Linq.Expressions;
using Azure;
using Azure.Data.Tables;
using EventProcessors.Contracts;
using EventProcessors.LocalHost.Hosting;
using EventProcessors.Processing.Idempotency;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventProcessors.LocalHost.Tests;

public sealed class RetentionSweeperTests
{
    private readonly ManualTimeProvider _time = new();
    private readonly ProcessingOptions _processing = new() { IdempotencyTableName = "Sweep" + Guid.NewGuid().ToString("N")[..10] };

    [Fact]
    public async Task Serve_sweeps_expired_records_on_its_interval_and_a_failed_sweep_does_not_stop_it()
    {
        // The first sweep's query fails (storage unreachable); the next one deletes the expired record.
        var tables = new DelegatingTableServiceClient(new InMemoryTableServiceClient(), t => new FailsFirstQuery(t));
        var store = new TableIdempotencyStore(tables, Options.Create(_processing), _time);
        var key = new IdempotencyKey("inventory.reserve-stock", "tenant-123", "/orders-service", "e-1");
        await store.CompleteAsync((await store.ClaimAsync(key, "order.created")).Claim!, new ProcessingOutcome([], []));
        _time.Advance(_processing.Retention + TimeSpan.FromHours(1));
        var logger = new ListLogger<RetentionSweeper>();
        using var sweeper = new RetentionSweeper(store, Options.Create(new RetentionSweepOptions { Interval = TimeSpan.FromMilliseconds(50) }), TimeProvider.System, logger);

        await sweeper.StartAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!logger.Entries.Any(e => e.Message == "Swept 1 idempotency records past retention") && DateTime.UtcNow < deadline) await Task.Delay(20);
        await sweeper.StopAsync(CancellationToken.None);

        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("sweep failed", StringComparison.Ordinal));
        Assert.Contains(logger.Entries, e => e.Message == "Swept 1 idempotency records past retention");
        Assert.Equal(ClaimStatus.Acquired, (await store.ClaimAsync(key, "order.created")).Status);
    }

    private sealed class FailsFirstQuery(ITableClient inner) : DelegatingTableClient(inner)
    {
        private int _queries;

        public override AsyncPageable<TableEntity> QueryAsync(Expression<Func<TableEntity, bool>>? filter = null, int? maxPerPage = null,
            IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
            Interlocked.Increment(ref _queries) == 1
                ? throw new RequestFailedException(503, "Service Unavailable")
                : base.QueryAsync(filter, maxPerPage, select, cancellationToken);
    }
}
