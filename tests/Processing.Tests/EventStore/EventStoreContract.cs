using System.Text.Json;
using EventProcessors.Contracts;
using EventProcessors.Processing.EventStore;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;
using Microsoft.Extensions.Options;

namespace EventProcessors.Processing.Tests.EventStore;

/// <summary>
/// What every event store backend must do alike: append once per (tenant, source, id), answer each query kind from its
/// index with stable paging, keep tenants apart, and sweep each tenant by its own retention.
/// </summary>
public abstract class EventStoreContract
{
    protected static readonly DateTimeOffset T0 = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    protected abstract IEventStore CreateStore(TimeProvider time, EventStoreOptions options);

    /// <summary>Events of the paging test: Azurite takes about 10 ms per write on a shared machine, and an event is six writes.</summary>
    protected virtual int ManyEvents => 3000;

    private IEventStore Store(TimeProvider? time = null, EventStoreOptions? options = null) =>
        CreateStore(time ?? new ManualTimeProvider(T0.AddDays(1)), options ?? new EventStoreOptions());

    public static StoredEvent Event(string tenant, string type, DateTimeOffset at, string? entity = null, string? correlation = null,
        string? id = null, string? causation = null, string source = "mes.equipment-service", string bus = TransportInfo.MesBus)
    {
        id ??= Guid.NewGuid().ToString();
        var envelope = new CloudEvent
        {
            Id = id, Source = source, Type = type, Time = at, TenantId = tenant, CorrelationId = correlation ?? id, CausationId = causation,
            PartitionKey = entity, Data = JsonSerializer.SerializeToElement(new { equipmentId = entity, n = 1 }),
        };
        return new StoredEvent
        {
            Tenant = tenant, Source = source, Id = id, Type = type, OccurredAt = at, ArrivedAt = at.AddMilliseconds(5),
            CorrelationId = correlation ?? id, CausationId = causation, Entity = entity, Payload = PayloadRetention.Kept,
            Transport = new TransportInfo(bus, bus == TransportInfo.MesBus ? "mes-events" : "collector-events", type, 2, 41),
            Envelope = System.Text.Encoding.UTF8.GetString(envelope.ToJsonBytes()),
        };
    }

    private static async Task<List<StoredEvent>> AllPagesAsync(IEventStore store, EventQuery query)
    {
        var all = new List<StoredEvent>();
        var pages = 0;
        do
        {
            var page = await store.QueryAsync(query);
            Assert.True(page.Events.Count <= query.PageSize);
            all.AddRange(page.Events);
            query = query with { ContinuationToken = page.ContinuationToken };
            Assert.True(++pages < 10_000, "paging does not end");
        }
        while (query.ContinuationToken is not null);
        return all;
    }

    [Fact]
    public async Task An_event_appended_twice_is_stored_once_and_counted_twice()
    {
        var store = Store();
        var e = Event("tenant-a", "equipment.status.changed", T0, "eq-1", "corr-dup");

        Assert.True(await store.AppendAsync(e));
        Assert.False(await store.AppendAsync(e with { ArrivedAt = T0.AddMinutes(1) }));

        var stored = await store.GetAsync("tenant-a", e.Source, e.Id);
        Assert.NotNull(stored);
        Assert.Equal(2, stored.Seen);
        Assert.Equal(e.ArrivedAt, stored.ArrivedAt);
        Assert.Equal(e.Envelope, stored.Envelope);
        Assert.Equal(e.Transport, stored.Transport);
        var flow = await store.QueryAsync(new EventQuery { Tenant = "tenant-a", CorrelationId = "corr-dup" });
        Assert.Equal(e.Id, Assert.Single(flow.Events).Id);
        Assert.Single((await store.QueryAsync(new EventQuery { Tenant = "tenant-a", Entity = "eq-1" })).Events);
        Assert.Single((await store.QueryAsync(new EventQuery { Tenant = "tenant-a", TypePattern = "equipment.*" })).Events);
        Assert.Single((await store.QueryAsync(new EventQuery { Tenant = "tenant-a" })).Events);
    }

    [Fact]
    public async Task Thousands_of_events_are_found_by_entity_type_pattern_and_time_range_page_by_page()
    {
        var store = Store(new ManualTimeProvider(T0.AddDays(2)));
        var types = new[] { "equipment.status.changed", "equipment.alarm.raised", "quality.measurement.recorded" };
        var events = Enumerable.Range(0, ManyEvents)
            .Select(i => Event("tenant-a", types[i % 3], T0.AddSeconds(i * 61), entity: $"eq-{i % 7}", correlation: $"corr-{i % 50}"))
            .ToArray();
        await Parallel.ForEachAsync(events, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (e, _) => Assert.True(await store.AppendAsync(e)));

        static string[] Ids(IEnumerable<StoredEvent> es) => es.Select(e => e.Id).ToArray();
        static string[] Ordered(IEnumerable<StoredEvent> es) => Ids(es.OrderBy(e => e.OccurredAt));

        var byEntity = await AllPagesAsync(store, new EventQuery { Tenant = "tenant-a", Entity = "eq-3", TypePattern = "equipment.*", PageSize = 37 });
        Assert.Equal(Ordered(events.Where(e => e.Entity == "eq-3" && e.Type.StartsWith("equipment.", StringComparison.Ordinal))), Ids(byEntity));

        var since = T0.AddSeconds(ManyEvents / 2 * 61);
        var byType = await AllPagesAsync(store, new EventQuery { Tenant = "tenant-a", TypePattern = "equipment.*", Since = since, PageSize = 100 });
        var expectedByType = events.Where(e => e.Type.StartsWith("equipment.", StringComparison.Ordinal) && e.OccurredAt >= since).ToArray();
        Assert.Equal(expectedByType.Length, byType.Count);
        Assert.Equal(Ids(expectedByType).Order(StringComparer.Ordinal), Ids(byType).Order(StringComparer.Ordinal));
        Assert.All(byType.GroupBy(e => e.Type), g => Assert.Equal(Ordered(g), Ids(g)));

        var exact = await AllPagesAsync(store, new EventQuery { Tenant = "tenant-a", TypePattern = "quality.measurement.recorded", PageSize = 250 });
        Assert.Equal(Ordered(events.Where(e => e.Type == "quality.measurement.recorded")), Ids(exact));

        var (from, to) = (T0.AddHours(3), T0.AddHours(9.5));
        var window = await AllPagesAsync(store, new EventQuery { Tenant = "tenant-a", Since = from, Until = to, PageSize = 64 });
        Assert.Equal(Ordered(events.Where(e => e.OccurredAt >= from && e.OccurredAt < to)), Ids(window));

        var flow = await AllPagesAsync(store, new EventQuery { Tenant = "tenant-a", CorrelationId = "corr-7", PageSize = 5 });
        Assert.Equal(Ordered(events.Where(e => e.CorrelationId == "corr-7")), Ids(flow));
    }

    [Fact]
    public async Task No_query_sees_another_tenants_events_even_with_the_same_source_and_id()
    {
        var store = Store();
        var ofA = Event("tenant-a", "equipment.status.changed", T0, "eq-1", "corr-1", id: "same-id");
        var ofB = ofA with { Tenant = "tenant-b", ArrivedAt = T0.AddSeconds(1) };
        Assert.True(await store.AppendAsync(ofA));
        Assert.True(await store.AppendAsync(ofB));
        Assert.True(await store.AppendAsync(Event("tenant-b", "equipment.alarm.raised", T0.AddMinutes(1), "eq-1", "corr-1")));
        await store.AppendDeadLetterAsync(DeadLetter(ofB, "ProjectEquipmentStatus"));

        foreach (var query in new[]
        {
            new EventQuery { Tenant = "tenant-a" }, new EventQuery { Tenant = "tenant-a", CorrelationId = "corr-1" },
            new EventQuery { Tenant = "tenant-a", Entity = "eq-1" }, new EventQuery { Tenant = "tenant-a", TypePattern = "equipment.*" },
            new EventQuery { Tenant = "tenant-a", TypePattern = "equipment.status.changed", Since = T0.AddHours(-1), Until = T0.AddHours(1) },
        })
        {
            var found = (await store.QueryAsync(query)).Events;
            Assert.Equal("tenant-a", Assert.Single(found).Tenant);
        }
        Assert.Equal(2, (await store.QueryAsync(new EventQuery { Tenant = "tenant-b", Entity = "eq-1" })).Events.Count);
        Assert.Empty(await store.DeadLettersAsync("tenant-a", "corr-1"));
        Assert.Single(await store.DeadLettersAsync("tenant-b", "corr-1"));
        Assert.Equal(T0.AddSeconds(1), (await store.GetAsync("tenant-b", ofA.Source, "same-id"))!.ArrivedAt);
        Assert.Null(await store.GetAsync("tenant-c", ofA.Source, "same-id"));
    }

    [Fact]
    public async Task Dead_letters_are_kept_with_their_flow_and_reason()
    {
        var store = Store();
        var e = Event("tenant-a", "order.created", T0, "order-1", "corr-dl", bus: TransportInfo.CollectorBus, source: "orders-service");
        await store.AppendAsync(e);
        await store.AppendDeadLetterAsync(DeadLetter(e, "ReserveStock"));
        await store.AppendDeadLetterAsync(DeadLetter(e, "ReserveStock")); // the same dead letter seen again

        var letter = Assert.Single(await store.DeadLettersAsync("tenant-a", "corr-dl"));
        Assert.Equal(("ReserveStock", "InvalidValue", e.Id, e.Source), (letter.Consumer, letter.Code, letter.EventId, letter.Source));
        Assert.Equal("product p-1 is not stocked", letter.Reason);
        // A flow's dead letters are not events of it.
        Assert.Single((await store.QueryAsync(new EventQuery { Tenant = "tenant-a", CorrelationId = "corr-dl" })).Events);
    }

    [Fact]
    public async Task The_sweep_deletes_each_tenants_events_past_its_own_retention_and_keeps_the_rest()
    {
        var clock = new ManualTimeProvider(T0);
        var options = new EventStoreOptions { Retention = TimeSpan.FromDays(30), TenantRetention = { ["short"] = TimeSpan.FromDays(2) } };
        var store = Store(clock, options);
        var old = new[] { Event("short", "equipment.status.changed", T0, "eq-1", "c-old"), Event("long", "equipment.status.changed", T0, "eq-1", "c-old") };
        var recent = new[] { Event("short", "equipment.status.changed", T0.AddDays(4), "eq-1", "c-new"), Event("long", "equipment.status.changed", T0.AddDays(4), "eq-1", "c-new") };
        foreach (var e in old.Concat(recent)) await store.AppendAsync(e);
        await store.AppendDeadLetterAsync(DeadLetter(old[0], "ProjectEquipmentStatus") with { DeadLetteredAt = T0 });

        clock.Advance(TimeSpan.FromDays(5));
        Assert.Equal(1, await store.SweepAsync());

        Assert.Null(await store.GetAsync("short", old[0].Source, old[0].Id));
        foreach (var query in new[]
        {
            new EventQuery { Tenant = "short", CorrelationId = "c-old" }, new EventQuery { Tenant = "short", Entity = "eq-1", Until = T0.AddDays(1) },
            new EventQuery { Tenant = "short", TypePattern = "equipment.*", Until = T0.AddDays(1) }, new EventQuery { Tenant = "short", Until = T0.AddDays(1) },
        })
            Assert.Empty((await store.QueryAsync(query)).Events);
        Assert.Empty(await store.DeadLettersAsync("short", "c-old"));
        Assert.NotNull(await store.GetAsync("short", recent[0].Source, recent[0].Id));
        Assert.Equal(2, (await store.QueryAsync(new EventQuery { Tenant = "long", Entity = "eq-1" })).Events.Count);
        Assert.Equal(0, await store.SweepAsync());
    }

    [Fact]
    public async Task A_large_envelope_round_trips_through_every_query()
    {
        var store = Store();
        var e = Event("tenant-a", "equipment.status.changed", T0, "eq-big", "corr-big");
        var big = new string('x', 200_000);
        e = e with { Envelope = JsonSerializer.Serialize(new { id = e.Id, data = big }) };
        await store.AppendAsync(e);
        Assert.Equal(e.Envelope, (await store.GetAsync("tenant-a", e.Source, e.Id))!.Envelope);
        Assert.Equal(e.Envelope, Assert.Single((await store.QueryAsync(new EventQuery { Tenant = "tenant-a", Entity = "eq-big" })).Events).Envelope);
    }

    private static StoredDeadLetter DeadLetter(StoredEvent e, string consumer) => new()
    {
        Tenant = e.Tenant, Source = e.Source, EventId = e.Id, CorrelationId = e.CorrelationId, Consumer = consumer, Code = "InvalidValue",
        Reason = "product p-1 is not stocked", DeadLetteredAt = e.ArrivedAt.AddSeconds(1), Destination = "inventory.reserve-stock.dead-letter",
    };
}

public sealed class InMemoryEventStoreTests : EventStoreContract
{
    protected override IEventStore CreateStore(TimeProvider time, EventStoreOptions options) =>
        new TableEventStore(new InMemoryTableServiceClient(time), Options.Create(options), time);
}

public sealed class AzuriteEventStoreTests(AzuriteFixture azurite) : EventStoreContract, IClassFixture<AzuriteFixture>
{
    protected override int ManyEvents => 1000;

    protected override IEventStore CreateStore(TimeProvider time, EventStoreOptions options) =>
        new TableEventStore(azurite.Tables, Options.Create(new EventStoreOptions
        {
            TableName = TableNames.Unique("events"), Retention = options.Retention, TenantRetention = options.TenantRetention,
        }), time);
}

public sealed class PostgresEventStoreTests(PostgresFixture postgres) : EventStoreContract, IClassFixture<PostgresFixture>
{
    protected override IEventStore CreateStore(TimeProvider time, EventStoreOptions options) =>
        new PostgresEventStore(Options.Create(new EventStoreOptions
        {
            PostgresConnection = postgres.ConnectionString, PostgresSchema = PostgresFixture.UniqueSchema("events"),
            Retention = options.Retention, TenantRetention = options.TenantRetention,
        }), time);
}
