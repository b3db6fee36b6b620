using System.Globalization;
using System.Text;
using EventProcessors.Contracts;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace EventProcessors.Processing.EventStore;

/// <summary>
/// The event store in PostgreSQL (seed 002's <c>PostgresEventStore</c>), for plants without Azure: table <c>events</c>
/// (primary key tenant, source, id: the dedup) with an index per query (correlation, entity, type, time), table
/// <c>dead_letters</c> and table <c>tenants</c> (what the sweep walks). Every query and the sweep start with the tenant and use an
/// index; paging is by key (time, source, id), so a page costs the same however deep it is. The schema is created on
/// first use. Thread-safe (a pooled data source).
/// </summary>
public sealed class PostgresEventStore : IEventStore, IAsyncDisposable
{
    private readonly NpgsqlDataSource _db;
    private readonly EventStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly string _schema;
    private readonly SemaphoreSlim _schemaLock = new(1, 1);
    private volatile bool _schemaReady;

    public PostgresEventStore(IOptions<EventStoreOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        if (string.IsNullOrWhiteSpace(_options.PostgresConnection))
            throw new ArgumentException("EventStore:PostgresConnection is required for the postgres backend.", nameof(options));
        if (!_options.PostgresSchema.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') || _options.PostgresSchema.Length == 0)
            throw new ArgumentException($"EventStore:PostgresSchema '{_options.PostgresSchema}' must be letters, digits and '_'.", nameof(options));
        _schema = _options.PostgresSchema;
        _db = NpgsqlDataSource.Create(_options.PostgresConnection);
    }

    public async Task<bool> AppendAsync(StoredEvent e, CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = _db.CreateCommand($"""
            with tenant as (insert into {_schema}.tenants (tenant) values ($1) on conflict do nothing)
            insert into {_schema}.events (tenant, source, id, type, occurred_at, arrived_at, correlation_id, causation_id, entity,
                classification, payload, bus, destination, routing_key, kafka_partition, kafka_offset, envelope, read_error)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
            on conflict (tenant, source, id) do update set seen = {_schema}.events.seen + 1
            returning seen
            """);
        Add(cmd, e.Tenant, e.Source, e.Id, e.Type, e.OccurredAt, e.ArrivedAt, e.CorrelationId, e.CausationId, e.Entity,
            e.Classification?.ToString(), e.Payload.ToString(), e.Transport.Bus, e.Transport.Destination, e.Transport.RoutingKey,
            e.Transport.Partition, e.Transport.Offset, e.Envelope, e.ReadError);
        var seen = (int)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        return seen == 1;
    }

    public async Task<bool> AppendDeadLetterAsync(StoredDeadLetter d, CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = _db.CreateCommand($"""
            insert into {_schema}.dead_letters (tenant, source, event_id, correlation_id, consumer, code, reason, dead_lettered_at, destination)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            on conflict (tenant, source, event_id, consumer, code) do update set reason = excluded.reason,
                dead_lettered_at = excluded.dead_lettered_at, destination = excluded.destination
            """);
        Add(cmd, d.Tenant, d.Source, d.EventId, d.CorrelationId, d.Consumer, d.Code, d.Reason, d.DeadLetteredAt, d.Destination);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task<StoredEvent?> GetAsync(string tenant, string source, string id, CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = _db.CreateCommand($"select {Columns} from {_schema}.events where tenant = $1 and source = $2 and id = $3");
        Add(cmd, tenant, source, id);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    public async Task<EventPage> QueryAsync(EventQuery query, CancellationToken cancellationToken = default)
    {
        query.Validate();
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var where = new StringBuilder("tenant = $1");
        var args = new List<object?> { query.Tenant };
        void Condition(string sql, object? value) { args.Add(value); where.Append(" and ").Append(sql.Replace("@", "$" + args.Count, StringComparison.Ordinal)); }
        if (query.CorrelationId is { } correlation) Condition("correlation_id = @", correlation);
        if (query.Entity is { } entity) Condition("entity = @", entity);
        if (query.TypePattern is { } p && p != "*")
        {
            if (p.EndsWith('*')) Condition("type like @", LikePrefix(p[..^1]));
            else Condition("type = @", p);
        }
        if (query.Since is { } since) Condition("occurred_at >= @", since);
        if (query.Until is { } until) Condition("occurred_at < @", until);
        if (query.ContinuationToken is { } token)
        {
            var (at, source, id) = DecodeToken(token);
            args.Add(at); args.Add(source); args.Add(id);
            where.Append(CultureInfo.InvariantCulture, $" and (occurred_at, source, id) > (${args.Count - 2}, ${args.Count - 1}, ${args.Count})");
        }
        await using var cmd = _db.CreateCommand($"select {Columns} from {_schema}.events where {where} order by occurred_at, source, id limit {query.PageSize + 1}");
        Add(cmd, [.. args]);
        var events = new List<StoredEvent>();
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) events.Add(Read(reader));
        if (events.Count <= query.PageSize) return new EventPage(events, null);
        events.RemoveAt(events.Count - 1);
        var last = events[^1];
        return new EventPage(events, EncodeToken(last.OccurredAt, last.Source, last.Id));
    }

    public async Task<IReadOnlyList<StoredDeadLetter>> DeadLettersAsync(string tenant, string correlationId, CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = _db.CreateCommand($"""
            select tenant, source, event_id, correlation_id, consumer, code, reason, dead_lettered_at, destination
            from {_schema}.dead_letters where tenant = $1 and correlation_id = $2 order by dead_lettered_at
            """);
        Add(cmd, tenant, correlationId);
        var letters = new List<StoredDeadLetter>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            letters.Add(new StoredDeadLetter
            {
                Tenant = reader.GetString(0), Source = reader.GetString(1), EventId = reader.GetString(2), CorrelationId = reader.GetString(3),
                Consumer = reader.GetString(4), Code = reader.GetString(5), Reason = reader.GetString(6),
                DeadLetteredAt = reader.GetFieldValue<DateTimeOffset>(7), Destination = reader.GetString(8),
            });
        }
        return letters;
    }

    public async Task<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var tenants = new List<string>();
        await using (var list = _db.CreateCommand($"select tenant from {_schema}.tenants"))
        await using (var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) tenants.Add(reader.GetString(0));
        var deleted = 0;
        foreach (var tenant in tenants)
        {
            var cutoff = _time.GetUtcNow() - _options.RetentionFor(tenant);
            // Both deletes walk the (tenant, occurred_at) and (tenant, dead_lettered_at) indexes up to the cutoff only.
            await using var events = _db.CreateCommand($"delete from {_schema}.events where tenant = $1 and occurred_at < $2");
            Add(events, tenant, cutoff);
            deleted += await events.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await using var letters = _db.CreateCommand($"delete from {_schema}.dead_letters where tenant = $1 and dead_lettered_at < $2");
            Add(letters, tenant, cutoff);
            await letters.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        return deleted;
    }

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    private const string Columns = "tenant, source, id, type, occurred_at, arrived_at, correlation_id, causation_id, entity, classification, payload, " +
        "bus, destination, routing_key, kafka_partition, kafka_offset, envelope, read_error, seen";

    private static StoredEvent Read(NpgsqlDataReader r) => new()
    {
        Tenant = r.GetString(0), Source = r.GetString(1), Id = r.GetString(2), Type = r.GetString(3),
        OccurredAt = r.GetFieldValue<DateTimeOffset>(4), ArrivedAt = r.GetFieldValue<DateTimeOffset>(5),
        CorrelationId = r.GetString(6), CausationId = r.IsDBNull(7) ? null : r.GetString(7), Entity = r.IsDBNull(8) ? null : r.GetString(8),
        Classification = r.IsDBNull(9) ? null : Enum.Parse<DataClassification>(r.GetString(9)),
        Payload = Enum.Parse<PayloadRetention>(r.GetString(10)),
        Transport = new TransportInfo(r.GetString(11), r.GetString(12), r.IsDBNull(13) ? null : r.GetString(13),
            r.IsDBNull(14) ? null : r.GetInt32(14), r.IsDBNull(15) ? null : r.GetInt64(15)),
        Envelope = r.GetString(16), ReadError = r.IsDBNull(17) ? null : r.GetString(17), Seen = r.GetInt32(18),
    };

    private static void Add(NpgsqlCommand cmd, params object?[] values)
    {
        foreach (var value in values)
        {
            cmd.Parameters.Add(value switch
            {
                // Untyped: PostgreSQL takes the column's type for a null.
                null => new NpgsqlParameter { Value = DBNull.Value },
                DateTimeOffset at => new NpgsqlParameter { Value = at.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz },
                _ => new NpgsqlParameter { Value = value },
            });
        }
    }

    private static string LikePrefix(string prefix) =>
        prefix.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal) + "%";

    private static string EncodeToken(DateTimeOffset at, string source, string id) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Join('\n', at.UtcTicks.ToString(CultureInfo.InvariantCulture), source, id)));

    private static (DateTimeOffset At, string Source, string Id) DecodeToken(string token)
    {
        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(token)).Split('\n', 3);
            return (new DateTimeOffset(long.Parse(parts[0], CultureInfo.InvariantCulture), TimeSpan.Zero), parts[1], parts[2]);
        }
        catch (Exception ex) when (ex is FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException or OverflowException)
        {
            throw new ArgumentException("Not a continuation token of an event query.", nameof(token), ex);
        }
    }

    private async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (_schemaReady) return;
        await _schemaLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_schemaReady) return;
            await using var cmd = _db.CreateCommand($"""
                create schema if not exists {_schema};
                create table if not exists {_schema}.events (
                    tenant text not null, source text not null, id text not null, type text not null,
                    occurred_at timestamptz not null, arrived_at timestamptz not null,
                    correlation_id text not null, causation_id text, entity text,
                    classification text, payload text not null,
                    bus text not null, destination text not null, routing_key text, kafka_partition integer, kafka_offset bigint,
                    envelope text not null, read_error text, seen integer not null default 1,
                    primary key (tenant, source, id));
                create index if not exists events_correlation on {_schema}.events (tenant, correlation_id, occurred_at, source, id);
                create index if not exists events_entity on {_schema}.events (tenant, entity, occurred_at, source, id) where entity is not null;
                create index if not exists events_type on {_schema}.events (tenant, type text_pattern_ops, occurred_at);
                create index if not exists events_time on {_schema}.events (tenant, occurred_at, source, id);
                create table if not exists {_schema}.dead_letters (
                    tenant text not null, source text not null, event_id text not null, correlation_id text not null,
                    consumer text not null, code text not null, reason text not null, dead_lettered_at timestamptz not null, destination text not null,
                    primary key (tenant, source, event_id, consumer, code));
                create index if not exists dead_letters_correlation on {_schema}.dead_letters (tenant, correlation_id, dead_lettered_at);
                create table if not exists {_schema}.tenants (tenant text primary key);
                create index if not exists dead_letters_time on {_schema}.dead_letters (tenant, dead_lettered_at);
                """);
            try
            {
                await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateObject)
            {
                // Another process created the schema at the same moment ("if not exists" is not atomic across sessions).
            }
            _schemaReady = true;
        }
        finally
        {
            _schemaLock.Release();
        }
    }
}
