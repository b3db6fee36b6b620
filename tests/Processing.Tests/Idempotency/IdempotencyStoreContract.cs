using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using EventProcessors.Contracts;
using EventProcessors.Processing.Idempotency;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;
using Microsoft.Extensions.Options;

namespace EventProcessors.Processing.Tests.Idempotency;

/// <summary>
/// The idempotency store's contract, run against real Azurite and against the in-memory table:
/// one implementation of the store, two table backends, the same expectations.
/// </summary>
public abstract class IdempotencyStoreContract
{
    protected readonly ManualTimeProvider Time = new();
    protected readonly ProcessingOptions Options = new()
    {
        IdempotencyTableName = "Idem" + Guid.NewGuid().ToString("N")[..12],
        LeaseDuration = TimeSpan.FromMinutes(5),
        Retention = TimeSpan.FromDays(7),
        PartitionBuckets = 4,
    };

    protected abstract ITableServiceClient Tables { get; }

    protected TableIdempotencyStore CreateStore(ITableServiceClient? tables = null) =>
        new(tables ?? Tables, Microsoft.Extensions.Options.Options.Create(Options), Time);

    private static IdempotencyKey NewKey(string consumer = "inventory.reserve-stock") =>
        new(consumer, "/orders-service", Guid.NewGuid().ToString());

    [Fact]
    public async Task First_claim_acquires_and_a_second_sees_the_live_lease()
    {
        var store = CreateStore();
        var key = NewKey();

        var first = await store.ClaimAsync(key, "order.created");
        var second = await store.ClaimAsync(key, "order.created");

        Assert.Equal(ClaimStatus.Acquired, first.Status);
        Assert.Equal(1, first.Claim!.Attempt);
        Assert.Equal(ClaimStatus.InProgress, second.Status);
        Assert.Equal(Options.LeaseDuration, second.RetryAfter);
    }

    [Fact]
    public async Task Completed_claim_replays_the_exact_outcome()
    {
        var store = CreateStore();
        var key = NewKey();
        var outcome = SampleOutcome(eventCount: 2);

        var claim = (await store.ClaimAsync(key, "order.created")).Claim!;
        Assert.True(await store.CompleteAsync(claim, outcome));
        var again = await store.ClaimAsync(key, "order.created");

        Assert.Equal(ClaimStatus.Completed, again.Status);
        AssertSameOutcome(outcome, again.Outcome!);
    }

    [Fact]
    public async Task Sixteen_concurrent_claimers_of_one_event_give_exactly_one_holder()
    {
        var key = NewKey();
        await CreateStore().ClaimAsync(NewKey(), "warm-up"); // the table exists before the race starts
        using var start = new ManualResetEventSlim();
        var claims = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            return await CreateStore().ClaimAsync(key, "order.created");
        })).ToArray();
        start.Set();
        var results = await Task.WhenAll(claims);

        Assert.Single(results, r => r.Status == ClaimStatus.Acquired);
        Assert.Equal(15, results.Count(r => r.Status == ClaimStatus.InProgress));
    }

    [Fact]
    public async Task Expired_lease_is_taken_over_and_the_old_holder_cannot_complete()
    {
        var store = CreateStore();
        var key = NewKey();
        var crashed = (await store.ClaimAsync(key, "order.created")).Claim!;

        Time.Advance(Options.LeaseDuration - TimeSpan.FromSeconds(1));
        Assert.Equal(ClaimStatus.InProgress, (await store.ClaimAsync(key, "order.created")).Status);

        Time.Advance(TimeSpan.FromSeconds(2));
        var takeover = await store.ClaimAsync(key, "order.created");
        Assert.Equal(ClaimStatus.Acquired, takeover.Status);
        Assert.Equal(2, takeover.Claim!.Attempt);

        Assert.False(await store.CompleteAsync(crashed, SampleOutcome(1)));
        var outcome = SampleOutcome(1);
        Assert.True(await store.CompleteAsync(takeover.Claim, outcome));
        AssertSameOutcome(outcome, (await store.ClaimAsync(key, "order.created")).Outcome!);
    }

    [Fact]
    public async Task Released_claim_is_taken_over_at_once_with_the_attempt_counted()
    {
        var store = CreateStore();
        var key = NewKey();
        var first = (await store.ClaimAsync(key, "order.created")).Claim!;
        await store.ReleaseAsync(first, "order snapshot not there yet");

        var second = await store.ClaimAsync(key, "order.created");

        Assert.Equal(ClaimStatus.Acquired, second.Status);
        Assert.Equal(2, second.Claim!.Attempt);
    }

    [Fact]
    public async Task Dead_lettered_event_stays_dead_lettered_with_its_reason()
    {
        var store = CreateStore();
        var key = NewKey();
        var claim = (await store.ClaimAsync(key, "order.created")).Claim!;
        var error = new EventError(EventErrorCode.InvalidValue, "quantity must be positive", "$.data.lineItems[0].quantity");
        await store.DeadLetterAsync(claim, error);

        var again = await store.ClaimAsync(key, "order.created");

        Assert.Equal(ClaimStatus.DeadLettered, again.Status);
        Assert.Equal(error, again.Error);
    }

    [Fact]
    public async Task A_replay_takes_over_a_dead_lettered_record_once_and_its_completion_stands()
    {
        var store = CreateStore();
        var key = NewKey();
        var claim = (await store.ClaimAsync(key, "order.created")).Claim!;
        await store.DeadLetterAsync(claim, new EventError(EventErrorCode.InvalidValue, "product 'p-9' is not stocked", "$.data.lineItems[0].productId"));

        var replay = await store.ClaimAsync(key, "order.created", rerunDeadLettered: true);
        var duplicateOfReplay = await store.ClaimAsync(key, "order.created", rerunDeadLettered: true);

        Assert.Equal(ClaimStatus.Acquired, replay.Status);
        Assert.Equal(2, replay.Claim!.Attempt);
        Assert.Equal(ClaimStatus.InProgress, duplicateOfReplay.Status);
        var outcome = SampleOutcome(1);
        Assert.True(await store.CompleteAsync(replay.Claim, outcome));
        var later = await store.ClaimAsync(key, "order.created", rerunDeadLettered: true);
        Assert.Equal(ClaimStatus.Completed, later.Status);
        Assert.Equal(outcome.Events.Select(e => e.Id), later.Outcome!.Events.Select(e => e.Id));
    }

    [Fact]
    public async Task Ambiguous_commit_of_our_own_insert_is_recognised_as_ours()
    {
        // The insert lands but its response is lost; the transport's retry then meets our own row (409).
        var store = CreateStore(new LostResponseTables(Tables));
        var key = NewKey();

        var claim = await store.ClaimAsync(key, "order.created");

        Assert.Equal(ClaimStatus.Acquired, claim.Status);
        Assert.True(await store.CompleteAsync(claim.Claim!, SampleOutcome(1)));
    }

    [Fact]
    public async Task Outcome_larger_than_one_property_round_trips()
    {
        await AssertLargeOutcomeRoundTrips(200 * 1024); // several 64 KiB properties of one entity
    }

    [Fact]
    public async Task Outcome_larger_than_one_entity_round_trips_through_overflow_rows()
    {
        await AssertLargeOutcomeRoundTrips(1536 * 1024); // over the 1 MiB entity limit
    }

    [Fact]
    public async Task Sweep_deletes_only_records_past_retention()
    {
        var store = CreateStore();
        var old = NewKey();
        await store.CompleteAsync((await store.ClaimAsync(old, "order.created")).Claim!, SampleOutcome(1));
        Time.Advance(Options.Retention - TimeSpan.FromHours(1));
        var recent = NewKey();
        await store.CompleteAsync((await store.ClaimAsync(recent, "order.created")).Claim!, SampleOutcome(1));

        Time.Advance(TimeSpan.FromHours(2));
        var deleted = await store.SweepAsync();

        Assert.Equal(1, deleted);
        Assert.Equal(ClaimStatus.Acquired, (await store.ClaimAsync(old, "order.created")).Status);
        Assert.Equal(ClaimStatus.Completed, (await store.ClaimAsync(recent, "order.created")).Status);
    }

    private async Task AssertLargeOutcomeRoundTrips(int incompressibleBytes)
    {
        var store = CreateStore();
        var key = NewKey();
        var outcome = SampleOutcome(1, Convert.ToBase64String(RandomNumberGenerator.GetBytes(incompressibleBytes)));

        Assert.True(await store.CompleteAsync((await store.ClaimAsync(key, "order.created")).Claim!, outcome));
        var replayed = await CreateStore().ClaimAsync(key, "order.created");

        Assert.Equal(ClaimStatus.Completed, replayed.Status);
        AssertSameOutcome(outcome, replayed.Outcome!);
    }

    protected static ProcessingOutcome SampleOutcome(int eventCount, string? note = null)
    {
        var events = Enumerable.Range(0, eventCount).Select(i => new CloudEvent
        {
            Id = Guid.NewGuid().ToString(),
            Source = "/event-processors/inventory.reserve-stock",
            Type = "stock.reserved",
            Time = new DateTimeOffset(2026, 1, 15, 10, 0, i, TimeSpan.Zero),
            CorrelationId = "corr-123",
            CausationId = "cause-1",
            TenantId = "tenant-123",
            PartitionKey = "order-1",
            Data = JsonSerializer.SerializeToElement(new { orderId = "order-1", line = i, note }),
        }).ToArray();
        var records = new[] { OutcomeRecord.From(new SampleRow("order-1", 12.50m, note ?? "Müller & Söhne, +49 30 1234")) };
        return new ProcessingOutcome(events, records);
    }

    protected static void AssertSameOutcome(ProcessingOutcome expected, ProcessingOutcome actual)
    {
        Assert.Equal(expected.Events.Select(e => JsonSerializer.Serialize(e, ContractJson.Options)),
            actual.Events.Select(e => JsonSerializer.Serialize(e, ContractJson.Options)));
        Assert.Equal(expected.Records.Select(r => (r.Table, r.Row.GetRawText())), actual.Records.Select(r => (r.Table, r.Row.GetRawText())));
    }

    [SqlTable("SampleRows")]
    private sealed record SampleRow(string OrderId, decimal Amount, string? Note);

    /// <summary>Inserts for real, then reports what a retried insert would see: 409 on our own row.</summary>
    private sealed class LostResponseTables(ITableServiceClient inner) : ITableServiceClient
    {
        public ITableClient GetTableClient(string tableName) => new LostResponseTable(inner.GetTableClient(tableName));

        private sealed class LostResponseTable(ITableClient inner) : DelegatingTableClient(inner)
        {
            public override async Task<ETag> AddEntityAsync(TableEntity entity, CancellationToken cancellationToken = default)
            {
                await base.AddEntityAsync(entity, cancellationToken);
                return await base.AddEntityAsync(entity, cancellationToken); // the retry: throws 409
            }
        }
    }
}
