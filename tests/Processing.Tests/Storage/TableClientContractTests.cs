using System.Linq.Expressions;
using Azure;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;

namespace EventProcessors.Processing.Tests.Storage;

/// <summary>
/// The behaviour every <see cref="ITableClient"/> must share, run against Azurite (through Azure.Data.Tables) and the
/// in-memory client. Each test works in its own uniquely named tables, deleted afterwards.
/// </summary>
public abstract class TableClientContractTests : IAsyncLifetime
{
    private readonly List<ITableClient> _tables = [];

    protected abstract ITableServiceClient Service { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var table in _tables) await table.DeleteIfExistsAsync();
    }

    protected async Task<ITableClient> NewTableAsync()
    {
        var table = Service.GetTableClient(TableNames.Unique("contract"));
        _tables.Add(table);
        await table.CreateIfNotExistsAsync();
        return table;
    }

    protected static TableEntity Entity(string partitionKey, string rowKey, params (string Name, object Value)[] properties)
    {
        var entity = new TableEntity(partitionKey, rowKey);
        foreach (var (name, value) in properties) entity[name] = value;
        return entity;
    }

    protected static Task<RequestFailedException> AssertFailsAsync(int status, TableErrorCode errorCode, Func<Task> action) =>
        AssertFailsAsync(status, errorCode.ToString(), action);

    protected static async Task<RequestFailedException> AssertFailsAsync(int status, string? errorCode, Func<Task> action)
    {
        var e = await Assert.ThrowsAnyAsync<RequestFailedException>(action);
        Assert.Equal(status, e.Status);
        if (errorCode is not null) Assert.Equal(errorCode, e.ErrorCode);
        return e;
    }

    /// <summary>The first page of a query, from <paramref name="continuationToken"/> if given.</summary>
    protected static async Task<Page<TableEntity>> PageAsync(AsyncPageable<TableEntity> query, string? continuationToken = null)
    {
        await foreach (var page in query.AsPages(continuationToken)) return page;
        throw new InvalidOperationException("A query returned no page at all.");
    }

    protected static async Task<List<TableEntity>> AllAsync(AsyncPageable<TableEntity> query)
    {
        var all = new List<TableEntity>();
        await foreach (var entity in query) all.Add(entity);
        return all;
    }

    /// <summary>The names of the custom properties, in ordinal order.</summary>
    protected static string[] Names(TableEntity entity) => [.. entity.Properties().Select(p => p.Key).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task A_table_must_be_created_before_use_and_creating_twice_is_fine()
    {
        var table = Service.GetTableClient(TableNames.Unique("contract"));
        _tables.Add(table);

        await AssertFailsAsync(404, TableErrorCode.TableNotFound, () => table.AddEntityAsync(Entity("p", "r")));
        await AssertFailsAsync(404, TableErrorCode.TableNotFound, () => table.GetEntityAsync("p", "r"));
        await AssertFailsAsync(404, TableErrorCode.TableNotFound, () => PageAsync(table.QueryAsync()));

        await table.CreateIfNotExistsAsync();
        await table.CreateIfNotExistsAsync();
        await table.AddEntityAsync(Entity("p", "r"));
        Assert.NotNull(await table.GetEntityAsync("p", "r"));

        Assert.True(await table.DeleteIfExistsAsync());
        Assert.False(await table.DeleteIfExistsAsync());
    }

    [Fact]
    public async Task Table_names_are_case_insensitive()
    {
        var name = TableNames.Unique("contract");
        var lower = Service.GetTableClient(name.ToLowerInvariant());
        _tables.Add(lower);
        await lower.CreateIfNotExistsAsync();
        await lower.AddEntityAsync(Entity("p", "r"));

        Assert.NotNull(await Service.GetTableClient(name.ToUpperInvariant()).GetEntityAsync("p", "r"));
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("1abc")]
    [InlineData("has-dash")]
    [InlineData("Tables")]
    public async Task An_invalid_table_name_is_rejected_with_400(string name)
    {
        var e = await Assert.ThrowsAsync<RequestFailedException>(() => Service.GetTableClient(name).CreateIfNotExistsAsync());
        Assert.Equal(400, e.Status);
    }

    [Fact]
    public async Task Insert_of_existing_keys_gives_409_EntityAlreadyExists()
    {
        var table = await NewTableAsync();
        await table.AddEntityAsync(Entity("p", "r", ("V", 1)));

        await AssertFailsAsync(409, TableErrorCode.EntityAlreadyExists, () => table.AddEntityAsync(Entity("p", "r", ("V", 2))));
        Assert.Equal(1, (await table.GetEntityAsync("p", "r"))!.GetInt32("V"));
    }

    [Fact]
    public async Task Get_of_missing_entity_returns_null()
    {
        var table = await NewTableAsync();
        await table.AddEntityAsync(Entity("p", "r"));

        Assert.Null(await table.GetEntityAsync("p", "other"));
        Assert.Null(await table.GetEntityAsync("other", "r"));
    }

    [Fact]
    public async Task Get_returns_the_insert_ETag_and_a_timestamp()
    {
        var table = await NewTableAsync();
        var before = DateTimeOffset.UtcNow.AddMinutes(-5);
        var etag = await table.AddEntityAsync(Entity("p", "r"));

        var stored = await table.GetEntityAsync("p", "r");
        Assert.NotEqual(default, etag);
        Assert.Equal(etag, stored!.ETag);
        Assert.InRange(stored.Timestamp!.Value, before, DateTimeOffset.UtcNow.AddMinutes(5));
    }

    [Fact]
    public async Task Conditional_replace_fails_with_412_on_a_stale_ETag_and_succeeds_with_the_current_one()
    {
        var table = await NewTableAsync();
        var first = await table.AddEntityAsync(Entity("p", "r", ("V", 1)));
        var second = await table.UpdateEntityAsync(Entity("p", "r", ("V", 2)), first, TableUpdateMode.Replace);
        Assert.NotEqual(first, second);

        await AssertFailsAsync(412, TableErrorCode.UpdateConditionNotSatisfied,
            () => table.UpdateEntityAsync(Entity("p", "r", ("V", 3)), first, TableUpdateMode.Replace));
        await AssertFailsAsync(412, TableErrorCode.UpdateConditionNotSatisfied,
            () => table.UpdateEntityAsync(Entity("p", "r", ("V", 3)), first, TableUpdateMode.Merge));

        var third = await table.UpdateEntityAsync(Entity("p", "r", ("V", 3)), second, TableUpdateMode.Replace);
        Assert.NotEqual(second, third);
        var stored = await table.GetEntityAsync("p", "r");
        Assert.Equal(3, stored!.GetInt32("V"));
        Assert.Equal(third, stored.ETag);

        await table.UpdateEntityAsync(Entity("p", "r", ("V", 4)), ETag.All, TableUpdateMode.Replace);
        Assert.Equal(4, (await table.GetEntityAsync("p", "r"))!.GetInt32("V"));
    }

    [Fact]
    public async Task Update_of_a_missing_entity_gives_404()
    {
        var table = await NewTableAsync();

        await AssertFailsAsync(404, TableErrorCode.ResourceNotFound, () => table.UpdateEntityAsync(Entity("p", "r"), ETag.All, TableUpdateMode.Replace));
        await AssertFailsAsync(404, TableErrorCode.ResourceNotFound,
            () => table.UpdateEntityAsync(Entity("p", "r"), ETag.All, TableUpdateMode.Merge));
        Assert.Null(await table.GetEntityAsync("p", "r"));
    }

    [Fact]
    public async Task Update_without_an_ETag_is_an_argument_error()
    {
        var table = await NewTableAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => table.UpdateEntityAsync(Entity("p", "r"), default, TableUpdateMode.Replace));
    }

    [Fact]
    public async Task Merge_keeps_other_properties_and_replace_drops_them()
    {
        var table = await NewTableAsync();
        var etag = await table.AddEntityAsync(Entity("p", "r", ("A", "a"), ("B", 1)));

        etag = await table.UpdateEntityAsync(Entity("p", "r", ("B", 2), ("C", true)), etag, TableUpdateMode.Merge);
        var merged = (await table.GetEntityAsync("p", "r"))!;
        Assert.Equal(["A", "B", "C"], Names(merged));
        Assert.Equal("a", merged.GetString("A"));
        Assert.Equal(2, merged.GetInt32("B"));
        Assert.True(merged.GetBoolean("C"));

        await table.UpdateEntityAsync(Entity("p", "r", ("C", false)), etag, TableUpdateMode.Replace);
        var replaced = (await table.GetEntityAsync("p", "r"))!;
        Assert.Equal(["C"], Names(replaced));
        Assert.False(replaced.GetBoolean("C"));
    }

    [Fact]
    public async Task Upsert_inserts_then_replaces_or_merges()
    {
        var table = await NewTableAsync();

        var inserted = await table.UpsertEntityAsync(Entity("p", "r", ("A", "a"), ("B", 1)), TableUpdateMode.Replace);
        Assert.Equal(inserted, (await table.GetEntityAsync("p", "r"))!.ETag);

        var replaced = await table.UpsertEntityAsync(Entity("p", "r", ("B", 2)), TableUpdateMode.Replace);
        Assert.NotEqual(inserted, replaced);
        var afterReplace = (await table.GetEntityAsync("p", "r"))!;
        Assert.Equal(["B"], Names(afterReplace));
        Assert.Equal(2, afterReplace.GetInt32("B"));

        await table.UpsertEntityAsync(Entity("p", "r", ("C", "c")), TableUpdateMode.Merge);
        var afterMerge = (await table.GetEntityAsync("p", "r"))!;
        Assert.Equal(["B", "C"], Names(afterMerge));

        await table.UpsertEntityAsync(Entity("p", "merged-in", ("D", 4)), TableUpdateMode.Merge);
        Assert.Equal(4, (await table.GetEntityAsync("p", "merged-in"))!.GetInt32("D"));
    }

    [Fact]
    public async Task Delete_checks_the_ETag_and_reports_a_missing_entity_as_false()
    {
        var table = await NewTableAsync();
        var first = await table.AddEntityAsync(Entity("p", "r"));
        var second = await table.UpdateEntityAsync(Entity("p", "r", ("V", 1)), first, TableUpdateMode.Replace);

        await AssertFailsAsync(412, TableErrorCode.UpdateConditionNotSatisfied, () => table.DeleteEntityAsync("p", "r", first));
        Assert.NotNull(await table.GetEntityAsync("p", "r"));

        Assert.True(await table.DeleteEntityAsync("p", "r", second));
        Assert.Null(await table.GetEntityAsync("p", "r"));
        Assert.False(await table.DeleteEntityAsync("p", "r"));
        Assert.False(await table.DeleteEntityAsync("p", "r", second));

        await table.AddEntityAsync(Entity("p", "any"));
        Assert.True(await table.DeleteEntityAsync("p", "any")); // default ETag: unconditional
    }

    [Fact]
    public async Task Queries_page_past_1000_entities_and_return_each_exactly_once()
    {
        const int count = 1050;
        var table = await NewTableAsync();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (i, ct) => await table.AddEntityAsync(Entity("p", $"r{i:D5}", ("I", i)), ct));
        await table.AddEntityAsync(Entity("other", "r00000"));

        var all = await AllAsync(table.QueryPartitionAsync("p"));
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"r{i:D5}"), all.Select(e => e.RowKey));
        Assert.All(all, e => Assert.Equal(int.Parse(e.RowKey[1..], System.Globalization.CultureInfo.InvariantCulture), e.GetInt32("I")));
        Assert.All(all, e => Assert.NotEqual(default, e.ETag));

        var first = await PageAsync(table.QueryPartitionAsync("p"));
        Assert.Equal(1000, first.Values.Count);
        Assert.NotNull(first.ContinuationToken);
        var second = await PageAsync(table.QueryPartitionAsync("p"), first.ContinuationToken);
        Assert.Equal(50, second.Values.Count);
        Assert.Equal("r01000", second.Values[0].RowKey);
        Assert.Null(second.ContinuationToken);

        var capped = await PageAsync(table.QueryAsync(maxPerPage: 5000));
        Assert.Equal(1000, capped.Values.Count);

        var everything = await AllAsync(table.QueryAsync(maxPerPage: 100));
        Assert.Equal(count + 1, everything.Count);
        Assert.Equal("other", everything[0].PartitionKey); // ordered by PartitionKey, then RowKey
    }

    [Fact]
    public async Task Small_pages_follow_the_continuation_token_through_partitions()
    {
        var table = await NewTableAsync();
        foreach (var pk in new[] { "a", "b", "c" })
            for (var i = 0; i < 3; i++) await table.AddEntityAsync(Entity(pk, $"r{i}"));

        var keys = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await PageAsync(table.QueryAsync(maxPerPage: 2), token);
            Assert.InRange(page.Values.Count, 0, 2);
            keys.AddRange(page.Values.Select(e => e.PartitionKey + e.RowKey));
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null);

        Assert.Equal(["ar0", "ar1", "ar2", "br0", "br1", "br2", "cr0", "cr1", "cr2"], keys);
        Assert.Equal(5, pages);
    }

    [Fact]
    public async Task Filters_of_every_type_return_exactly_the_matching_rows()
    {
        var table = await NewTableAsync();
        // Rows differ by whole milliseconds: Azurite compares DateTime filters at millisecond precision only.
        var t0 = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero).AddTicks(1234567);
        var guids = Enumerable.Range(0, 5).Select(i => new Guid($"00000000-0000-0000-0000-00000000000{i}")).ToArray();
        for (var i = 0; i < 5; i++)
        {
            await table.AddEntityAsync(Entity("p", $"row{i}",
                ("Name", $"name-{(char)('a' + i)}"),
                ("Int", i * 10),
                ("Long", (1L << 40) + i),
                ("Double", i + 0.5),
                ("Flag", i % 2 == 0),
                ("When", t0.AddMilliseconds(i)),
                ("Id", guids[i])));
        }
        await table.AddEntityAsync(Entity("p", "untyped", ("Int", "not a number")));
        await table.AddEntityAsync(Entity("q", "row0", ("Int", 0)));

        async Task<string[]> Rows(Expression<Func<TableEntity, bool>> filter) =>
            [.. (await AllAsync(table.QueryAsync(filter))).Select(e => e.RowKey)];

        var (t2, g0, g1, g4) = (t0.AddMilliseconds(2), guids[0], guids[1], guids[4]);
        Assert.Equal(["row1", "row2"], await Rows(e => e.PartitionKey == "p" && e.GetString("Name").CompareTo("name-b") >= 0 && e.GetString("Name").CompareTo("name-d") < 0));
        Assert.Equal(["row3"], await Rows(e => e.PartitionKey == "p" && e.GetString("Name").CompareTo("name-d") >= 0 && e.GetString("Name").CompareTo("name-d\uffff") < 0));
        Assert.Equal(["row1", "row2", "row3", "row4"], await Rows(e => e.PartitionKey == "p" && e.RowKey.CompareTo("row") >= 0 && e.RowKey.CompareTo("row\uffff") < 0 && e.RowKey != "row0"));
        Assert.Equal(["row2"], await Rows(e => e.PartitionKey == "p" && e.GetInt32("Int") == 20));
        Assert.Equal(["row3", "row4"], await Rows(e => e.PartitionKey == "p" && e.GetInt32("Int") > 20));
        Assert.Equal(["row0", "row1"], await Rows(e => e.PartitionKey == "p" && e.GetInt64("Long") <= (1L << 40) + 1));
        Assert.Equal(["row4"], await Rows(e => e.PartitionKey == "p" && e.GetInt64("Long") == (1L << 40) + 4));
        Assert.Equal(["row0", "row1"], await Rows(e => e.PartitionKey == "p" && e.GetDouble("Double") < 2.0));
        Assert.Equal(["row3"], await Rows(e => e.PartitionKey == "p" && e.GetDouble("Double") == 3.5));
        Assert.Equal(["row0", "row2", "row4"], await Rows(e => e.PartitionKey == "p" && e.GetBoolean("Flag") == true));
        Assert.Equal(["row1", "row3"], await Rows(e => e.PartitionKey == "p" && e.GetBoolean("Flag") == false));
        Assert.Equal(["row2"], await Rows(e => e.PartitionKey == "p" && (DateTimeOffset)e["When"] == t2));
        Assert.Equal(["row3", "row4"], await Rows(e => e.PartitionKey == "p" && (DateTimeOffset)e["When"] > t2));
        Assert.Equal(["row1"], await Rows(e => e.PartitionKey == "p" && e.GetGuid("Id") == g1));
        Assert.Equal(["row0", "row4"], await Rows(e => e.PartitionKey == "p" && (e.GetGuid("Id") == g0 || e.GetGuid("Id") == g4)));
        Assert.Empty(await Rows(e => e.PartitionKey == "p" && e.GetInt32("Missing") == 1));
    }

    [Fact]
    public async Task Every_property_type_round_trips_exactly()
    {
        var table = await NewTableAsync();
        var bytes = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        var entity = Entity("p", "r",
            ("String", "héllo \"wörld\" ✓ 𝄞"),
            ("Empty", ""),
            ("Int", int.MinValue),
            ("IntMax", int.MaxValue),
            ("LongAbove2To53", (1L << 53) + 1),
            ("LongMax", long.MaxValue),
            ("LongMin", long.MinValue),
            ("LongSmall", 7L),
            ("Double", 0.1),
            ("DoubleWhole", 2.0),
            ("DoubleHuge", 1.5e300),
            ("DoubleNegative", -123.456e-7),
            ("True", true),
            ("False", false),
            ("When", new DateTimeOffset(2024, 2, 29, 23, 59, 58, TimeSpan.Zero).AddTicks(9_876_543)),
            ("WhenOffset", new DateTimeOffset(2024, 1, 1, 12, 0, 0, TimeSpan.FromHours(5))),
            ("Id", Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e")),
            ("Bytes", bytes),
            ("NoBytes", Array.Empty<byte>()));
        await table.AddEntityAsync(entity);

        var got = (await table.GetEntityAsync("p", "r"))!;
        AssertSameProperties(entity, got);

        var queried = Assert.Single(await AllAsync(table.QueryPartitionAsync("p")));
        AssertSameProperties(entity, queried);
        Assert.Equal(got.ETag, queried.ETag);
    }

    private static void AssertSameProperties(TableEntity expected, TableEntity actual)
    {
        Assert.Equal(Names(expected), Names(actual));
        foreach (var (name, value) in expected.Properties())
        {
            var got = actual[name]!;
            Assert.True(value.GetType() == got.GetType(), $"{name}: {value.GetType().Name} came back as {got.GetType().Name}");
            if (value is byte[] b) Assert.Equal(b, (byte[])got);
            else Assert.Equal(value, got);
        }
    }

    [Fact]
    public async Task Keys_with_quotes_spaces_and_unicode_work_everywhere()
    {
        var table = await NewTableAsync();
        string[] keys = ["it's", "''", "a b", "naïve 日本 𝄞", "x=1&y=2+3%", "(paren)", "'quoted, comma'"];
        foreach (var pk in keys)
        {
            foreach (var rk in keys)
            {
                var etag = await table.AddEntityAsync(Entity(pk, rk, ("V", 1)));
                Assert.Equal(pk, (await table.GetEntityAsync(pk, rk))!.PartitionKey);
                etag = await table.UpdateEntityAsync(Entity(pk, rk, ("V", 2)), etag, TableUpdateMode.Merge);
                Assert.Equal(2, (await table.GetEntityAsync(pk, rk))!.GetInt32("V"));
                await table.UpsertEntityAsync(Entity(pk, rk, ("V", 3)), TableUpdateMode.Replace);
            }
            var rows = await AllAsync(table.QueryPartitionAsync(pk));
            Assert.Equal(keys.Order(StringComparer.Ordinal), rows.Select(e => e.RowKey));
            Assert.All(rows, e => Assert.Equal(3, e.GetInt32("V")));
        }
        foreach (var pk in keys)
            foreach (var rk in keys)
                Assert.True(await table.DeleteEntityAsync(pk, rk), $"{pk}/{rk}");
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("a#b")]
    [InlineData("a?b")]
    [InlineData("a\u0001b")]
    [InlineData("a\u007fb")]
    public async Task Keys_with_forbidden_characters_are_rejected_with_400(string key)
    {
        var table = await NewTableAsync();

        await AssertFailsAsync(400, "InvalidInput", () => table.AddEntityAsync(Entity(key, "r")));
        await AssertFailsAsync(400, "InvalidInput", () => table.AddEntityAsync(Entity("p", key)));
        await AssertFailsAsync(400, "InvalidInput", () => table.UpsertEntityAsync(Entity(key, "r"), TableUpdateMode.Replace));
        await AssertFailsAsync(400, "InvalidInput", () => table.UpdateEntityAsync(Entity("p", key), ETag.All, TableUpdateMode.Replace));
        // No such entity can exist, so reads and deletes answer "not there".
        Assert.Null(await table.GetEntityAsync(key, "r"));
        Assert.False(await table.DeleteEntityAsync("p", key));
    }

    [Fact]
    public async Task Keys_are_limited_to_512_characters()
    {
        var table = await NewTableAsync();
        var longest = new string('k', 512);

        await table.AddEntityAsync(Entity(longest, longest));
        Assert.NotNull(await table.GetEntityAsync(longest, longest));
        await AssertFailsAsync(400, "InvalidInput", () => table.AddEntityAsync(Entity(longest + "k", "r")));
        await AssertFailsAsync(400, "InvalidInput", () => table.AddEntityAsync(Entity("p", longest + "k")));
    }

    [Fact]
    public async Task Property_values_over_64_KiB_give_400_PropertyValueTooLarge()
    {
        var table = await NewTableAsync();

        // The limits themselves are accepted: 32,768 UTF-16 chars (64 KiB) and 65,536 bytes.
        await table.AddEntityAsync(Entity("p", "max", ("S", new string('x', 32 * 1024)), ("B", new byte[64 * 1024])));
        Assert.Equal(32 * 1024, (await table.GetEntityAsync("p", "max"))!.GetString("S")!.Length);

        await AssertFailsAsync(400, TableErrorCode.PropertyValueTooLarge,
            () => table.AddEntityAsync(Entity("p", "s", ("S", new string('x', 32 * 1024 + 1)))));
        await AssertFailsAsync(400, TableErrorCode.PropertyValueTooLarge,
            () => table.AddEntityAsync(Entity("p", "b", ("B", new byte[64 * 1024 + 1]))));
        await AssertFailsAsync(400, TableErrorCode.PropertyValueTooLarge,
            () => table.UpsertEntityAsync(Entity("p", "max", ("B", new byte[64 * 1024 + 1])), TableUpdateMode.Replace));
        Assert.Null(await table.GetEntityAsync("p", "s"));
    }

    [Fact]
    public async Task An_entity_over_1_MiB_gives_400_EntityTooLarge_on_update()
    {
        var table = await NewTableAsync();
        var etag = await table.AddEntityAsync(Entity("p", "r", ("V", 1)));
        // 17 binary properties of 64 KiB: each within its own limit, together 1.06 MiB.
        var big = Entity("p", "r", [.. Enumerable.Range(0, 17).Select(i => ($"B{i}", (object)new byte[64 * 1024]))]);

        await AssertFailsAsync(400, TableErrorCode.EntityTooLarge, () => table.UpsertEntityAsync(big, TableUpdateMode.Replace));
        await AssertFailsAsync(400, TableErrorCode.EntityTooLarge, () => table.UpdateEntityAsync(big, etag, TableUpdateMode.Replace));
        await AssertFailsAsync(400, TableErrorCode.EntityTooLarge, () => table.UpdateEntityAsync(big, etag, TableUpdateMode.Merge));
        Assert.Equal(etag, (await table.GetEntityAsync("p", "r"))!.ETag);
    }

    [Fact]
    public async Task Select_returns_only_the_named_properties_with_keys_and_ETag()
    {
        var table = await NewTableAsync();
        var etag = await table.AddEntityAsync(Entity("p", "r", ("A", 1), ("B", 2L), ("C", "c")));

        var page = await PageAsync(table.QueryAsync(select: ["B", "Missing"]));

        var entity = Assert.Single(page.Values);
        Assert.Equal(("p", "r"), (entity.PartitionKey, entity.RowKey));
        Assert.Equal(etag, entity.ETag);
        Assert.NotNull(entity.Timestamp);
        Assert.Equal(["B"], Names(entity));
        Assert.Equal(2L, entity["B"]);
    }

    [Fact]
    public async Task A_cancelled_token_cancels_the_operation()
    {
        var table = await NewTableAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => table.AddEntityAsync(Entity("p", "r"), cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => PageAsync(table.QueryAsync(cancellationToken: cancelled.Token)));
        Assert.Null(await table.GetEntityAsync("p", "r"));
    }

    [Fact]
    public async Task A_transaction_applies_every_kind_of_action_and_returns_the_new_ETags()
    {
        var table = await NewTableAsync();
        var replaceETag = await table.AddEntityAsync(Entity("p", "replace", ("A", 1), ("B", 1)));
        await table.AddEntityAsync(Entity("p", "merge", ("A", 1)));
        await table.AddEntityAsync(Entity("p", "delete"));
        await table.AddEntityAsync(Entity("p", "upsert", ("A", 1)));
        await table.AddEntityAsync(Entity("other", "add")); // same row key in another partition: untouched

        var etags = await table.SubmitTransactionAsync(
        [
            new(TableTransactionActionType.Add, Entity("p", "add", ("A", 1))),
            new(TableTransactionActionType.UpdateReplace, Entity("p", "replace", ("A", 2)), replaceETag),
            new(TableTransactionActionType.UpdateMerge, Entity("p", "merge", ("B", 2)), ETag.All),
            new(TableTransactionActionType.Delete, Entity("p", "delete"), ETag.All),
            new(TableTransactionActionType.UpsertMerge, Entity("p", "upsert", ("B", 2))),
            new(TableTransactionActionType.UpsertReplace, Entity("p", "new", ("C", 3))),
        ]);

        Assert.Equal(6, etags.Count);
        Assert.Equal(default, etags[3]);
        var rows = (await AllAsync(table.QueryPartitionAsync("p"))).ToDictionary(e => e.RowKey);
        Assert.Equal(["add", "merge", "new", "replace", "upsert"], rows.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["A"], Names(rows["replace"]));
        Assert.Equal(["A", "B"], Names(rows["merge"]));
        Assert.Equal(["A", "B"], Names(rows["upsert"]));
        Assert.Equal(etags[0], rows["add"].ETag);
        Assert.Equal(etags[1], rows["replace"].ETag);
        Assert.Equal(etags[5], rows["new"].ETag);
        Assert.NotNull(await table.GetEntityAsync("other", "add"));
    }

    [Fact]
    public async Task A_transaction_of_TableRows_writes_what_the_same_TableEntities_write()
    {
        // Every property type, and a null value (not written), set through TableRow and through TableEntity, in each kind of
        // write: the stored rows must be the same.
        var table = await NewTableAsync();
        var when = new DateTimeOffset(2024, 2, 29, 23, 59, 58, TimeSpan.Zero).AddTicks(9_876_543);
        (string, object?)[] properties = [("S", "héllo ✓"), ("I", 7), ("L", 1L << 40), ("D", 0.25), ("B", true), ("T", when),
            ("G", Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e")), ("Y", new byte[] { 1, 2, 3 }), ("N", null), ("S", "replaced")];
        var etag = await table.AddEntityAsync(Entity("p", "merged", ("Kept", 1), ("I", 0)));
        await table.AddEntityAsync(Entity("p", "replaced", ("Dropped", 1)));
        var etags = await table.SubmitTransactionAsync(
        [
            new(TableTransactionActionType.Add, Row("p", "added")),
            new(TableTransactionActionType.UpdateMerge, Row("p", "merged"), etag),
            new(TableTransactionActionType.UpsertReplace, Row("p", "replaced")),
        ]);

        var expected = new TableEntity("p", "x");
        foreach (var (name, value) in properties) expected[name] = value;
        var rows = (await AllAsync(table.QueryPartitionAsync("p"))).ToDictionary(e => e.RowKey);
        AssertSameProperties(expected, rows["added"]);
        AssertSameProperties(expected, rows["replaced"]);
        expected["Kept"] = 1;
        AssertSameProperties(expected, rows["merged"]);
        Assert.Equal(etags, [rows["added"].ETag, rows["merged"].ETag, rows["replaced"].ETag]);

        TableRow Row(string partitionKey, string rowKey)
        {
            var row = new TableRow(partitionKey, rowKey, capacity: 2);
            foreach (var (name, value) in properties) row[name] = value;
            return row;
        }
    }

    [Theory]
    [InlineData(409, "EntityAlreadyExists")]
    [InlineData(412, "UpdateConditionNotSatisfied")]
    [InlineData(404, "ResourceNotFound")]
    public async Task A_transaction_with_one_failing_action_writes_nothing_and_names_the_action(int status, string errorCode)
    {
        var table = await NewTableAsync();
        var etag = await table.AddEntityAsync(Entity("p", "kept", ("V", 1)));
        var stale = etag;
        etag = await table.UpdateEntityAsync(Entity("p", "kept", ("V", 2)), etag, TableUpdateMode.Replace);
        TableTransactionAction failing = status switch
        {
            409 => new(TableTransactionActionType.Add, Entity("p", "kept")),
            412 => new(TableTransactionActionType.UpdateMerge, Entity("p", "kept", ("V", 9)), stale),
            _ => new(TableTransactionActionType.Delete, Entity("p", "missing"), ETag.All),
        };

        var e = await Assert.ThrowsAsync<TableTransactionFailedException>(() => table.SubmitTransactionAsync(
        [
            new(TableTransactionActionType.Add, Entity("p", "added")),
            new(TableTransactionActionType.UpsertReplace, Entity("p", "upserted")),
            failing,
            new(TableTransactionActionType.Add, Entity("p", "after")),
        ]));

        Assert.Equal(status, e.Status);
        Assert.Equal(errorCode, e.ErrorCode);
        Assert.Equal(2, e.FailedTransactionActionIndex);
        var rows = await AllAsync(table.QueryAsync());
        var kept = Assert.Single(rows);
        Assert.Equal(("kept", 2, etag), (kept.RowKey, kept.GetInt32("V"), kept.ETag));
    }

    [Fact]
    public async Task A_transaction_holds_1_to_100_actions_on_distinct_rows_of_one_partition()
    {
        var table = await NewTableAsync();
        TableTransactionAction Add(string pk, string rk) => new(TableTransactionActionType.Add, Entity(pk, rk));

        await AssertFailsAsync(400, "CommandsInBatchActOnDifferentPartitions", () => table.SubmitTransactionAsync([Add("p", "a"), Add("q", "a")]));
        await AssertFailsAsync(400, "InvalidDuplicateRow", () => table.SubmitTransactionAsync(
            [Add("p", "a"), new(TableTransactionActionType.UpsertMerge, Entity("p", "a"))]));
        await AssertFailsAsync(400, "InvalidInput", () => table.SubmitTransactionAsync(Enumerable.Range(0, 101).Select(i => Add("p", $"r{i:D3}"))));
        await Assert.ThrowsAsync<InvalidOperationException>(() => table.SubmitTransactionAsync([]));
        Assert.Empty(await AllAsync(table.QueryAsync()));

        var etags = await table.SubmitTransactionAsync(Enumerable.Range(0, 100).Select(i => Add("p", $"r{i:D3}")));
        Assert.Equal(100, etags.Count);
        Assert.DoesNotContain(default, etags); // not necessarily distinct: one batch may stamp all its rows alike
        Assert.Equal(100, (await AllAsync(table.QueryPartitionAsync("p"))).Count);
    }

    [Fact]
    public async Task A_transaction_on_a_missing_table_gives_404_TableNotFound()
    {
        var table = Service.GetTableClient(TableNames.Unique("contract"));
        _tables.Add(table);

        await AssertFailsAsync(404, TableErrorCode.TableNotFound,
            () => table.SubmitTransactionAsync([new(TableTransactionActionType.Add, Entity("p", "r"))]));
    }
}
