using Azure;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Tests.Storage;

/// <summary>The contract against the in-memory client, plus what only the in-memory client can show.</summary>
public sealed class InMemoryTableClientTests : TableClientContractTests
{
    protected override ITableServiceClient Service { get; } = new InMemoryTableServiceClient();

    [Fact]
    public async Task An_entity_over_1_MiB_gives_400_EntityTooLarge_on_insert()
    {
        // Azurite 3.37 checks the 1 MiB entity limit only on update, merge and upsert (by request body size),
        // not on insert; the service checks every write, so the in-memory client does too.
        var table = await NewTableAsync();
        var big = Entity("p", "r", [.. Enumerable.Range(0, 17).Select(i => ($"B{i}", (object)new byte[64 * 1024]))]);

        await AssertFailsAsync(400, TableErrorCode.EntityTooLarge, () => table.AddEntityAsync(big));
        Assert.Null(await table.GetEntityAsync("p", "r"));
    }

    [Fact]
    public async Task The_entity_size_follows_the_service_formula()
    {
        var table = await NewTableAsync();
        // 4 + 2 * (1 + 1) key bytes, then per property 8 + 2 * name chars + value (binary: 4 + length).
        const int fixedBytes = 4 + 2 * 2;
        const int perProperty = 8 + 2 * 3 + 4; // names "B00" to "B14"
        var fifteen = Enumerable.Range(0, 15).Select(i => ($"B{i:D2}", (object)new byte[64 * 1024])).ToList();
        var used = fixedBytes + 15 * (perProperty + 64 * 1024);
        var room = TableServiceRules.MaxEntitySize - used - (8 + 2 * 3 + 4); // one more property named "Pad"

        await table.AddEntityAsync(Entity("p", "r", [.. fifteen, ("Pad", new byte[room])]));
        await AssertFailsAsync(400, TableErrorCode.EntityTooLarge,
            () => table.AddEntityAsync(Entity("p", "s", [.. fifteen, ("Pad", new byte[room + 1])])));
    }

    [Fact]
    public async Task Callers_get_copies_and_cannot_change_stored_state()
    {
        var table = await NewTableAsync();
        var bytes = new byte[] { 1, 2, 3 };
        var entity = Entity("p", "r", ("B", bytes), ("S", "s"));
        await table.AddEntityAsync(entity);
        bytes[0] = 99;
        entity["S"] = "changed";

        var got = (await table.GetEntityAsync("p", "r"))!;
        Assert.Equal([1, 2, 3], got.GetBinary("B"));
        Assert.Equal("s", got.GetString("S"));

        got.GetBinary("B")![1] = 99;
        got["S"] = "changed";
        got.ETag = new ETag("W/\"forged\"");
        var again = (await table.GetEntityAsync("p", "r"))!;
        Assert.Equal([1, 2, 3], again.GetBinary("B"));
        Assert.Equal("s", again.GetString("S"));
        Assert.NotEqual(got.ETag, again.ETag);
    }

    [Fact]
    public async Task Every_write_gets_a_distinct_ETag_even_within_one_clock_tick()
    {
        var frozen = new FrozenClock(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var table = new InMemoryTableServiceClient(frozen).GetTableClient("frozen");
        await table.CreateIfNotExistsAsync();

        var etags = new List<ETag> { await table.AddEntityAsync(Entity("p", "r")) };
        for (var i = 0; i < 5; i++) etags.Add(await table.UpsertEntityAsync(Entity("p", "r", ("V", i)), TableUpdateMode.Replace));

        Assert.Equal(etags.Count, etags.Distinct().Count());
        Assert.StartsWith("W/\"datetime'2024-01-01T00%3A00%3A00.", etags[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_conditional_updates_let_exactly_one_writer_win()
    {
        var table = await NewTableAsync();
        var etag = await table.AddEntityAsync(Entity("p", "r", ("V", 0)));

        var results = await Task.WhenAll(Enumerable.Range(1, 32).Select(i => Task.Run(async () =>
        {
            try
            {
                await table.UpdateEntityAsync(Entity("p", "r", ("V", i)), etag, TableUpdateMode.Replace);
                return true;
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                return false;
            }
        })));

        Assert.Single(results, won => won);
    }

    [Fact]
    public async Task Concurrent_transactions_on_the_same_rows_apply_whole_or_not_at_all()
    {
        // Each transaction moves one unit from row "a" to row "b", guarded by both ETags: the sum must never change,
        // and exactly the winners' moves must show, which only holds if no transaction is ever half-applied.
        var table = await NewTableAsync();
        await table.SubmitTransactionAsync(
        [
            new(TableTransactionActionType.Add, Entity("p", "a", ("V", 1000))),
            new(TableTransactionActionType.Add, Entity("p", "b", ("V", 0))),
        ]);

        var won = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, 400), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, ct) =>
        {
            var a = (await table.GetEntityAsync("p", "a", ct))!;
            var b = (await table.GetEntityAsync("p", "b", ct))!;
            try
            {
                await table.SubmitTransactionAsync(
                [
                    new(TableTransactionActionType.UpdateReplace, Entity("p", "a", ("V", a.GetInt32("V")!.Value - 1)), a.ETag),
                    new(TableTransactionActionType.UpdateReplace, Entity("p", "b", ("V", b.GetInt32("V")!.Value + 1)), b.ETag),
                ], ct);
                Interlocked.Increment(ref won);
            }
            catch (TableTransactionFailedException e) when (e.Status == 412)
            {
            }
        });

        var finalA = (await table.GetEntityAsync("p", "a"))!.GetInt32("V");
        var finalB = (await table.GetEntityAsync("p", "b"))!.GetInt32("V");
        Assert.InRange(won, 1, 400);
        Assert.Equal((1000 - won, won), (finalA, finalB));
    }

    [Fact]
    public async Task Queries_narrowed_by_their_key_bounds_return_what_the_filter_alone_selects()
    {
        // Hundreds of rows over a few dozen partitions (the row order spans many 64-row leaves, some emptied by deletes), and
        // filters of every shape the table narrows by keys, each run with two sets of captured values (one compiled shape)
        // and in small pages, against the same filter applied to every row written.
        var table = await NewTableAsync();
        var random = new Random(13);
        var rows = new Dictionary<(string, string), TableEntity>();
        for (var i = 0; i < 900; i++)
        {
            var entity = Entity($"p{random.Next(30):D2}", $"r{random.Next(200):D3}", ("N", random.Next(10)), ("S", $"s{i}"));
            await table.UpsertEntityAsync(entity, TableUpdateMode.Replace);
            rows[(entity.PartitionKey, entity.RowKey)] = entity;
        }
        foreach (var key in rows.Keys.Where((_, i) => i % 3 == 0).ToList())
        {
            await table.DeleteEntityAsync(key.Item1, key.Item2);
            rows.Remove(key);
        }

        foreach (var (pk, low, high, n) in new[] { ("p07", "r050", "r120", 4), ("p21", "r000", "r199", 7), ("p00", "r150", "r151", 0) })
        {
            var end = low + '\uffff';
            await AssertSameAsync(e => e.PartitionKey == pk);
            await AssertSameAsync(e => pk == e.PartitionKey && e.RowKey.CompareTo(low) >= 0 && e.RowKey.CompareTo(end) < 0);
            await AssertSameAsync(e => e.PartitionKey.CompareTo(pk) >= 0 && e.PartitionKey.CompareTo("p25") < 0 && e.RowKey == low);
            await AssertSameAsync(e => e.PartitionKey.CompareTo(pk) > 0 && e.RowKey.CompareTo(high) <= 0 && e.GetInt32("N") > n);
            await AssertSameAsync(e => string.Compare(e.RowKey, low) > 0 && string.Compare(e.RowKey, high) < 0);
            await AssertSameAsync(e => e.PartitionKey == pk || e.RowKey == high);
            await AssertSameAsync(e => e.PartitionKey == pk && e.PartitionKey == "p99");
        }

        async Task AssertSameAsync(System.Linq.Expressions.Expression<Func<TableEntity, bool>> filter)
        {
            var matches = filter.Compile();
            var expected = rows.Values.Where(e =>
            {
                try { return matches(e); }
                catch (InvalidOperationException) { return false; }
            }).OrderBy(e => e.PartitionKey, StringComparer.Ordinal).ThenBy(e => e.RowKey, StringComparer.Ordinal)
                .Select(e => $"{e.PartitionKey}/{e.RowKey}/{e.GetString("S")}").ToList();
            var actual = new List<string>();
            await foreach (var page in table.QueryAsync(filter, maxPerPage: 7).AsPages())
                actual.AddRange(page.Values.Select(e => $"{e.PartitionKey}/{e.RowKey}/{e.GetString("S")}"));
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public async Task A_scan_across_partitions_gives_every_row_once_in_key_order_while_other_partitions_are_written()
    {
        // Partitions are spread over shards with locks of their own, so a scan of several partitions merges them. Some keys are
        // not ASCII (held as UTF-16, compared against ASCII ones), and small pages of a filter that turns rows down make the shards give their rows in several batches.
        var table = await NewTableAsync();
        var partitions = Enumerable.Range(0, 150).Select(i => i % 5 == 0 ? $"p\u00e9{i:D3}" : $"p{i:D3}").ToList();
        var written = new List<string>();
        foreach (var pk in partitions)
        {
            for (var r = 0; r < 12; r++)
            {
                var rk = r % 4 == 0 ? $"r\u00fc{r:D2}" : $"r{r:D2}";
                await table.AddEntityAsync(Entity(pk, rk, ("N", r)));
                if (r % 3 != 0) written.Add($"{pk}/{rk}");
            }
        }

        // Meanwhile rows come and go in partitions of their own, which the scan may or may not read (the filter turns them down).
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await table.UpsertEntityAsync(Entity($"p{i % 150:D3}~{i % 7}", "x"), TableUpdateMode.Replace);
                await table.DeleteEntityAsync($"p{(i + 3) % 150:D3}~{(i + 3) % 7}", "x");
            }
        });
        var scanned = new List<string>();
        await foreach (var page in table.QueryAsync(e => e.PartitionKey.CompareTo("p") >= 0 && e.GetInt32("N") % 3 > 0, maxPerPage: 10).AsPages())
            scanned.AddRange(page.Values.Select(e => $"{e.PartitionKey}/{e.RowKey}"));
        await stop.CancelAsync();
        await writer;

        Assert.Equal(scanned.Order(StringComparer.Ordinal), scanned);
        Assert.Equal(scanned.Count, scanned.Distinct().Count());
        Assert.Equal(written.Order(StringComparer.Ordinal), scanned);
    }

    private sealed class FrozenClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
