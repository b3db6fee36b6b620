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

    private static IdempotencyKey NewKey(string consumer = "inventory.reserve-stock", string tenant = "tenant-123") =>
        new(consumer, tenant, "/orders-service", Guid.NewGuid().ToString());

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
    public async Task A_published_outcome_is_emptied_in_the_record_and_a_duplicate_replays_nothing()
    {
        var store = CreateStore();
        var key = NewKey();

        var claim = (await store.ClaimAsync(key, "order.created")).Claim!;
        Assert.True(await store.CompleteAsync(claim, SampleOutcome(eventCount: 2)));
        var table = Tables.GetTableClient(Options.IdempotencyTableName);
        var completed = await RecordOf(table, key);
        Assert.NotEmpty(completed.GetBinary("Outcome00")!);

        await store.MarkPublishedAsync(key);
        var published = await RecordOf(table, key);
        var again = await store.ClaimAsync(key, "order.created");

        Assert.Equal(0, published.GetInt32("OutcomeChunks"));
        Assert.Empty(published.GetBinary("Outcome00")!);
        Assert.NotNull(published.GetDateTimeOffset("PublishedAt"));
        Assert.Equal(ClaimStatus.Completed, again.Status);
        Assert.True(again.Published);
        Assert.True(again.Outcome!.IsEmpty);
    }

    private static async Task<Azure.Data.Tables.TableEntity> RecordOf(ITableClient table, IdempotencyKey key)
    {
        var eventId = key.EventId;
        var rows = new List<Azure.Data.Tables.TableEntity>();
        await foreach (var row in table.QueryAsync(e => e.GetString("EventId") == eventId)) rows.Add(row);
        return Assert.Single(rows);
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

    [Fact]
    public async Task Tenants_sharing_a_source_and_event_id_have_records_of_their_own()
    {
        var store = CreateStore();
        var a = NewKey(tenant: "tenant-a");
        var b = a with { Tenant = "tenant-b" };
        var outcomeA = SampleOutcome(1, "for tenant a");

        var claimA = await store.ClaimAsync(a, "offer.approved");
        Assert.True(await store.CompleteAsync(claimA.Claim!, outcomeA));
        var claimB = await store.ClaimAsync(b, "offer.approved");

        Assert.Equal(ClaimStatus.Acquired, claimB.Status); // not "completed", and not tenant a's outcome
        var outcomeB = SampleOutcome(2, "for tenant b");
        Assert.True(await store.CompleteAsync(claimB.Claim!, outcomeB));
        AssertSameOutcome(outcomeA, (await store.ClaimAsync(a, "offer.approved")).Outcome!);
        AssertSameOutcome(outcomeB, (await store.ClaimAsync(b, "offer.approved")).Outcome!);
        // Nor is a tenant-less event the same as a tenant's.
        Assert.Equal(ClaimStatus.Acquired, (await store.ClaimAsync(a with { Tenant = "" }, "offer.approved")).Status);
    }

    [Fact]
    public async Task Sweep_reads_only_the_index_rows_of_expired_buckets_and_deletes_only_settled_records()
    {
        var counting = new CountingTables(Tables);
        var store = CreateStore(counting);
        // Start at 10:00 on the clock; these settle now and expire at 10:00 + retention.
        var expired = new[] { NewKey(), NewKey(), NewKey("quality.create-inspection") };
        foreach (var key in expired) await store.CompleteAsync((await store.ClaimAsync(key, "order.created")).Claim!, SampleOutcome(1));
        var expiredDeadLetter = NewKey();
        await store.DeadLetterAsync((await store.ClaimAsync(expiredDeadLetter, "order.created")).Claim!, new EventError(EventErrorCode.InvalidValue, "bad", null));
        var neverSettled = NewKey(); // claimed, then released for a retry that has not come yet
        await store.ReleaseAsync((await store.ClaimAsync(neverSettled, "order.created")).Claim!, "broker unreachable");
        var stillProcessing = NewKey();
        await store.ClaimAsync(stillProcessing, "order.created");

        Time.Advance(TimeSpan.FromMinutes(50)); // 10:50: these expire in the 10:00 hour bucket too, read next hour
        var sameHour = NewKey();
        await store.CompleteAsync((await store.ClaimAsync(sameHour, "order.created")).Claim!, SampleOutcome(1));
        Time.Advance(TimeSpan.FromMinutes(20)); // 11:10
        var live = Enumerable.Range(0, 20).Select(_ => NewKey()).ToArray();
        foreach (var key in live) await store.CompleteAsync((await store.ClaimAsync(key, "order.created")).Claim!, SampleOutcome(1));

        Time.Advance(Options.Retention - TimeSpan.FromMinutes(30)); // 10:40 + retention: only the 10:00 bucket is past
        counting.Reset();
        var deleted = await store.SweepAsync();

        Assert.Equal(0, deleted); // 10:40 is still in the 10:00 hour: a bucket is read once it is wholly past
        Assert.Empty(counting.Queried);

        Time.Advance(TimeSpan.FromMinutes(30)); // 11:10 + retention: the 10:00 bucket is past, the 11:00 one is not
        counting.Reset();
        deleted = await store.SweepAsync();

        Assert.Equal(expired.Length + 2, deleted); // the three completed, the dead-lettered and the one of 10:50
        var read = counting.Queried.ToList();
        Assert.Equal(expired.Length + 2, read.Count);
        Assert.All(read, e => Assert.StartsWith(TableIdempotencyStore.ExpiryIndexPrefix, e.RowKey, StringComparison.Ordinal));
        Assert.Equal(Options.PartitionBuckets, counting.ByOperation["QueryPage"]); // one range query per partition
        foreach (var key in expired.Append(expiredDeadLetter).Append(sameHour))
            Assert.Equal(ClaimStatus.Acquired, (await store.ClaimAsync(key, "order.created")).Status);
        foreach (var key in live) Assert.Equal(ClaimStatus.Completed, (await store.ClaimAsync(key, "order.created")).Status);
        // Unsettled records are never swept: the released one is taken over, the processing one's lease is long gone.
        Assert.Equal(2, (await store.ClaimAsync(neverSettled, "order.created")).Claim!.Attempt);
        Assert.Equal(2, (await store.ClaimAsync(stillProcessing, "order.created")).Claim!.Attempt);
    }

    [Fact]
    public async Task Sweep_keeps_a_record_completed_again_after_its_first_expiry_was_indexed()
    {
        var store = CreateStore();
        var key = NewKey();
        await store.DeadLetterAsync((await store.ClaimAsync(key, "order.created")).Claim!, new EventError(EventErrorCode.InvalidValue, "bad", null));
        Time.Advance(TimeSpan.FromDays(1));
        var replay = await store.ClaimAsync(key, "order.created", rerunDeadLettered: true);
        Assert.True(await store.CompleteAsync(replay.Claim!, SampleOutcome(1)));

        Time.Advance(Options.Retention - TimeSpan.FromHours(1)); // the dead-letter's expiry bucket is past, the completion's is not
        Assert.Equal(0, await store.SweepAsync());
        Assert.Equal(ClaimStatus.Completed, (await store.ClaimAsync(key, "order.created")).Status);

        Time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(1, await store.SweepAsync());
        Assert.Equal(ClaimStatus.Acquired, (await store.ClaimAsync(key, "order.created")).Status);
    }

    [Fact]
    public async Task Sweep_deletes_the_overflow_rows_of_a_large_outcome_with_its_record()
    {
        var counting = new CountingTables(Tables);
        var store = CreateStore(counting);
        var key = NewKey();
        var outcome = SampleOutcome(1, Convert.ToBase64String(RandomNumberGenerator.GetBytes(1536 * 1024)));
        await store.CompleteAsync((await store.ClaimAsync(key, "order.created")).Claim!, outcome);

        Time.Advance(Options.Retention + TimeSpan.FromHours(1));
        Assert.Equal(1, await store.SweepAsync());

        counting.Reset();
        var left = new List<TableEntity>();
        await foreach (var e in counting.GetTableClient(Options.IdempotencyTableName).QueryAsync()) left.Add(e);
        Assert.Empty(left);
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
