using System.Collections.Concurrent;
using System.Globalization;
using System.Linq.Expressions;
using System.Text;
using Azure;
using Azure.Data.Tables;
using EventProcessors.Contracts;
using EventProcessors.Processing.Storage;
using Microsoft.Extensions.Options;

namespace EventProcessors.Processing.EventStore;

/// <summary>
/// The event store in one Table Storage table (Azure, Azurite or the in-memory table). Every query reads one partition
/// or one range of partitions of its tenant, never the table:
/// <list type="bullet">
/// <item>event: PK <c>{tenant}|e|{bucket}</c>, RK <c>{source}|{id}</c> (appended with an insert, which is the dedup);</item>
/// <item>per correlation: PK <c>{tenant}|c|{correlation}</c>, RK <c>{ticks}|{source}|{id}</c>, and the flow's dead letters at RK <c>~dl|...</c>;</item>
/// <item>per entity: PK <c>{tenant}|p|{partition key}</c>; per type: PK <c>{tenant}|y|{type}</c> (a pattern <c>equipment.*</c> is a
/// partition range); per hour: PK <c>{tenant}|h|{yyyyMMddHH}</c>, which time ranges read and the sweep walks;</item>
/// <item>tenants: PK <c>~tenants</c>, RK the tenant, with the oldest hour not yet swept.</item>
/// </list>
/// Index rows carry the whole event when its envelope fits one property, so a query page costs no further reads.
/// </summary>
public sealed class TableEventStore : IEventStore
{
    private const int Buckets = 16;
    private const string TenantsPartition = "~tenants";
    private const string DeadLetterPrefix = "~dl|";

    private readonly ITableClient _table;
    private readonly EventStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, string> _oldestHour = new(StringComparer.Ordinal);
    private volatile bool _tableReady;

    public TableEventStore(ITableServiceClient tables, IOptions<EventStoreOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _table = tables.GetTableClient(_options.TableName);
        _time = time;
    }

    public async Task<bool> AppendAsync(StoredEvent e, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var (pk, rk) = Primary(e.Tenant, e.Source, e.Id);
        var existing = await _table.GetEntityAsync(pk, rk, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            await CountSeenAsync(existing, cancellationToken).ConfigureAwait(false);
            return false;
        }
        await RegisterHourAsync(e.Tenant, Hour(e.OccurredAt), cancellationToken).ConfigureAwait(false);
        // Index rows first: a crash between them and the event row leaves no event without its indexes, and the
        // redelivery (the event row still absent) writes them again.
        var inline = Write(e, pk, rk, withEnvelope: true);
        foreach (var (indexPk, indexRk) in Indexes(e))
            await _table.UpsertEntityAsync(Write(e, indexPk, indexRk, withEnvelope: inline.GetInt32(Fields.EnvelopeParts) == 1), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        try
        {
            await _table.AddEntityAsync(inline, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.IsConflict())
        {
            return false; // a concurrent copy won; its index rows are these
        }
    }

    public async Task<bool> AppendDeadLetterAsync(StoredDeadLetter d, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var hour = Hour(d.DeadLetteredAt);
        await RegisterHourAsync(d.Tenant, hour, cancellationToken).ConfigureAwait(false);
        var rk = DeadLetterPrefix + StorageKeys.Join(d.Source, d.EventId, d.Consumer, d.Code);
        var row = new TableEntity(Partition(d.Tenant, 'c', d.CorrelationId), rk)
        {
            [Fields.Tenant] = d.Tenant, [Fields.Source] = d.Source, [Fields.Id] = d.EventId, [Fields.CorrelationId] = d.CorrelationId,
            [Fields.Consumer] = d.Consumer, [Fields.Code] = d.Code, [Fields.Reason] = Truncate(d.Reason),
            [Fields.DeadLetteredAt] = d.DeadLetteredAt, [Fields.Destination] = d.Destination,
        };
        await _table.UpsertEntityAsync(row, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        // Its pointer in the hour partition lets the sweep find it without reading the flow.
        await _table.UpsertEntityAsync(new TableEntity(Partition(d.Tenant, 'h', hour), rk + "|" + StorageKeys.Escape(d.CorrelationId))
        {
            [Fields.PointsTo] = row.PartitionKey,
        }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task<StoredEvent?> GetAsync(string tenant, string source, string id, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var (pk, rk) = Primary(tenant, source, id);
        var entity = await _table.GetEntityAsync(pk, rk, cancellationToken).ConfigureAwait(false);
        return entity is null ? null : Read(entity);
    }

    public async Task<EventPage> QueryAsync(EventQuery query, CancellationToken cancellationToken = default)
    {
        query.Validate();
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var partitions = await PartitionsOfAsync(query, cancellationToken).ConfigureAwait(false);
        var filter = RowFilter(query);
        var (index, inner) = DecodeToken(query.ContinuationToken);
        var events = new List<StoredEvent>();
        while (index < partitions.Count && events.Count < query.PageSize)
        {
            var take = query.PageSize - events.Count;
            var page = await FirstPageAsync(_table.QueryAsync(And(partitions[index], filter), take, cancellationToken: cancellationToken), inner, take)
                .ConfigureAwait(false);
            foreach (var row in page.Values)
                events.Add(row.GetInt32(Fields.EnvelopeParts) is > 0 ? Read(row) : await PrimaryOfAsync(row, cancellationToken).ConfigureAwait(false));
            inner = page.ContinuationToken;
            if (inner is null) index++;
        }
        return new EventPage(events, index < partitions.Count ? EncodeToken(index, inner) : null);
    }

    public async Task<IReadOnlyList<StoredDeadLetter>> DeadLettersAsync(string tenant, string correlationId, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var letters = new List<StoredDeadLetter>();
        await foreach (var row in _table.QueryPartitionAsync(Partition(tenant, 'c', correlationId), DeadLetterPrefix, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            letters.Add(new StoredDeadLetter
            {
                Tenant = row.GetString(Fields.Tenant)!, Source = row.GetString(Fields.Source)!, EventId = row.GetString(Fields.Id)!,
                CorrelationId = row.GetString(Fields.CorrelationId)!, Consumer = row.GetString(Fields.Consumer)!, Code = row.GetString(Fields.Code)!,
                Reason = row.GetString(Fields.Reason)!, DeadLetteredAt = row.GetDateTimeOffset(Fields.DeadLetteredAt)!.Value,
                Destination = row.GetString(Fields.Destination)!,
            });
        }
        return [.. letters.OrderBy(l => l.DeadLetteredAt)];
    }

    public async Task<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var deleted = 0;
        await foreach (var tenantRow in _table.QueryPartitionAsync(TenantsPartition, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var tenant = tenantRow.GetString(Fields.Tenant)!;
            var cutoff = _time.GetUtcNow() - _options.RetentionFor(tenant);
            var hour = ParseHour(tenantRow.GetString(Fields.OldestHour)!);
            // Only whole hours before the cutoff, oldest first; the tenant's marker moves past each one swept.
            for (; hour.AddHours(1) <= cutoff; hour = hour.AddHours(1))
            {
                await foreach (var row in _table.QueryPartitionAsync(Partition(tenant, 'h', HourText(hour)), cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    if (row.GetString(Fields.PointsTo) is { } flow)
                    {
                        await _table.DeleteEntityAsync(flow, row.RowKey[..row.RowKey.LastIndexOf('|')], cancellationToken: cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        var e = Summary(row);
                        var (pk, rk) = Primary(e.Tenant, e.Source, e.Id);
                        foreach (var (indexPk, indexRk) in Indexes(e).Where(i => i.PartitionKey != row.PartitionKey))
                            await _table.DeleteEntityAsync(indexPk, indexRk, cancellationToken: cancellationToken).ConfigureAwait(false);
                        if (await _table.DeleteEntityAsync(pk, rk, cancellationToken: cancellationToken).ConfigureAwait(false)) deleted++;
                    }
                    await _table.DeleteEntityAsync(row.PartitionKey, row.RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                tenantRow[Fields.OldestHour] = HourText(hour.AddHours(1));
                await _table.UpsertEntityAsync(tenantRow, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
                _oldestHour[tenant] = HourText(hour.AddHours(1));
            }
        }
        return deleted;
    }

    /// <summary>The partitions a query reads, in the order their events come: one, a range, or the tenant's hours.</summary>
    private async Task<IReadOnlyList<Expression<Func<TableEntity, bool>>>> PartitionsOfAsync(EventQuery q, CancellationToken cancellationToken)
    {
        if (q.CorrelationId is { } correlation) return [PartitionIs(Partition(q.Tenant, 'c', correlation))];
        if (q.Entity is { } entity) return [PartitionIs(Partition(q.Tenant, 'p', entity))];
        if (q.TypePattern is { } pattern && pattern != "*")
        {
            if (!pattern.EndsWith('*')) return [PartitionIs(Partition(q.Tenant, 'y', pattern))];
            var (first, end) = PrefixRange(Partition(q.Tenant, 'y', pattern[..^1]));
            return [e => e.PartitionKey.CompareTo(first) >= 0 && e.PartitionKey.CompareTo(end) < 0];
        }
        var oldest = await OldestHourAsync(q.Tenant, cancellationToken).ConfigureAwait(false);
        if (oldest is null) return [];
        var from = q.Since is { } since && Truncate(since) > oldest.Value ? Truncate(since) : oldest.Value;
        var to = q.Until ?? _time.GetUtcNow().AddHours(1);
        var hours = new List<Expression<Func<TableEntity, bool>>>();
        for (var h = from; h < to; h = h.AddHours(1)) hours.Add(PartitionIs(Partition(q.Tenant, 'h', HourText(h))));
        return hours;
    }

    /// <summary>The conditions on index rows: time range by row key (ticks first), type and entity by property; dead letters left out.</summary>
    private static Expression<Func<TableEntity, bool>> RowFilter(EventQuery q)
    {
        var since = Ticks(q.Since ?? DateTimeOffset.MinValue);
        var until = q.Until is { } u ? Ticks(u) : "~";
        Expression<Func<TableEntity, bool>> filter = e => e.RowKey.CompareTo(since) >= 0 && e.RowKey.CompareTo(until) < 0;
        if (q.TypePattern is { } p && p != "*")
        {
            if (p.EndsWith('*'))
            {
                var (first, end) = PrefixRange(p[..^1]);
                filter = And(filter, e => e.GetString(Fields.Type).CompareTo(first) >= 0 && e.GetString(Fields.Type).CompareTo(end) < 0);
            }
            else
            {
                filter = And(filter, e => e.GetString(Fields.Type) == p);
            }
        }
        if (q.Entity is { } entity) filter = And(filter, e => e.GetString(Fields.Entity) == entity);
        if (q.CorrelationId is { } correlation) filter = And(filter, e => e.GetString(Fields.CorrelationId) == correlation);
        return filter;
    }

    private static Expression<Func<TableEntity, bool>> PartitionIs(string partitionKey) => e => e.PartitionKey == partitionKey;

    /// <summary>The strings starting with <paramref name="prefix"/> are those from it up to (not including) the returned end.</summary>
    private static (string First, string End) PrefixRange(string prefix) => (prefix, prefix + '\uffff');

    /// <summary>Both conditions, as one filter the SDK translates to OData.</summary>
    private static Expression<Func<TableEntity, bool>> And(Expression<Func<TableEntity, bool>> left, Expression<Func<TableEntity, bool>> right)
    {
        var parameter = left.Parameters[0];
        var body = new Rebind(right.Parameters[0], parameter).Visit(right.Body);
        return Expression.Lambda<Func<TableEntity, bool>>(Expression.AndAlso(left.Body, body), parameter);
    }

    private sealed class Rebind(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : node;
    }

    /// <summary>One page of a query, resumed from <paramref name="continuationToken"/>.</summary>
    private static async Task<(IReadOnlyList<TableEntity> Values, string? ContinuationToken)> FirstPageAsync(
        AsyncPageable<TableEntity> query, string? continuationToken, int pageSize)
    {
        await foreach (var page in query.AsPages(continuationToken, pageSize).ConfigureAwait(false)) return (page.Values, page.ContinuationToken);
        return ([], null);
    }

    private IEnumerable<(string PartitionKey, string RowKey)> Indexes(StoredEvent e)
    {
        var rk = Ticks(e.OccurredAt) + "|" + StorageKeys.Join(e.Source, e.Id);
        yield return (Partition(e.Tenant, 'c', e.CorrelationId), rk);
        if (e.Entity is { Length: > 0 } entity) yield return (Partition(e.Tenant, 'p', entity), rk);
        yield return (Partition(e.Tenant, 'y', e.Type), rk);
        yield return (Partition(e.Tenant, 'h', Hour(e.OccurredAt)), rk);
    }

    /// <summary>Records the tenant's oldest hour (once per process and tenant unless an older event arrives).</summary>
    private async Task RegisterHourAsync(string tenant, string hour, CancellationToken cancellationToken)
    {
        if (_oldestHour.TryGetValue(tenant, out var known) && string.CompareOrdinal(known, hour) <= 0) return;
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var row = await _table.GetEntityAsync(TenantsPartition, StorageKeys.Escape(tenant), cancellationToken).ConfigureAwait(false);
            try
            {
                if (row is null)
                {
                    await _table.AddEntityAsync(new TableEntity(TenantsPartition, StorageKeys.Escape(tenant)) { [Fields.Tenant] = tenant, [Fields.OldestHour] = hour }, cancellationToken).ConfigureAwait(false);
                }
                else if (string.CompareOrdinal(row.GetString(Fields.OldestHour), hour) > 0)
                {
                    row[Fields.OldestHour] = hour;
                    await _table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    hour = row.GetString(Fields.OldestHour)!;
                }
                _oldestHour[tenant] = hour;
                return;
            }
            catch (RequestFailedException ex) when (ex.IsConflict() || ex.IsPreconditionFailed())
            {
                // Another writer registered it first: read again.
            }
        }
        throw new Pipeline.TransientProcessingException($"The event store's tenant row of {tenant} stayed contended.");
    }

    private async Task<DateTimeOffset?> OldestHourAsync(string tenant, CancellationToken cancellationToken)
    {
        var row = await _table.GetEntityAsync(TenantsPartition, StorageKeys.Escape(tenant), cancellationToken).ConfigureAwait(false);
        return row?.GetString(Fields.OldestHour) is { } hour ? ParseHour(hour) : null;
    }

    private async Task CountSeenAsync(TableEntity existing, CancellationToken cancellationToken)
    {
        var seen = (existing.GetInt32(Fields.Seen) ?? 1) + 1;
        try
        {
            await _table.UpdateEntityAsync(new TableEntity(existing.PartitionKey, existing.RowKey) { [Fields.Seen] = seen },
                existing.ETag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            // The flow's row too, so a trace shows the duplicates without reading every event row.
            var (flowPk, flowRk) = Indexes(Summary(existing)).First();
            await _table.UpdateEntityAsync(new TableEntity(flowPk, flowRk) { [Fields.Seen] = seen }, ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.IsPreconditionFailed() || ex.IsNotFound())
        {
            // A concurrent copy counted first, or the flow's row was swept; the count is informative, not a guarantee.
        }
    }

    private async Task<StoredEvent> PrimaryOfAsync(TableEntity index, CancellationToken cancellationToken)
    {
        var (pk, rk) = Primary(index.GetString(Fields.Tenant)!, index.GetString(Fields.Source)!, index.GetString(Fields.Id)!);
        var row = await _table.GetEntityAsync(pk, rk, cancellationToken).ConfigureAwait(false);
        // Index rows are written before their event row: one whose event row is not there yet is an append in flight.
        return row is null ? Summary(index) : Read(row);
    }

    private static (string PartitionKey, string RowKey) Primary(string tenant, string source, string id)
    {
        var rk = StorageKeys.Join(source, id);
        return ($"{StorageKeys.Escape(tenant)}|e|{StorageKeys.Bucket(rk, Buckets):D2}", rk);
    }

    private static string Partition(string tenant, char kind, string value) => $"{StorageKeys.Escape(tenant)}|{kind}|{StorageKeys.Escape(value)}";

    private static string Ticks(DateTimeOffset at) => at.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);

    private static DateTimeOffset Truncate(DateTimeOffset at) => new(at.UtcDateTime.Year, at.UtcDateTime.Month, at.UtcDateTime.Day, at.UtcDateTime.Hour, 0, 0, TimeSpan.Zero);

    private static string Hour(DateTimeOffset at) => HourText(Truncate(at));

    private static string HourText(DateTimeOffset hour) => hour.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseHour(string text) =>
        new(DateTime.ParseExact(text, "yyyyMMddHH", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal), TimeSpan.Zero);

    private static string EncodeToken(int index, string? inner) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{index}\n{inner}"));

    private static (int Index, string? Inner) DecodeToken(string? token)
    {
        if (token is null) return (0, null);
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            var newline = text.IndexOf('\n', StringComparison.Ordinal);
            return (int.Parse(text[..newline], CultureInfo.InvariantCulture), newline == text.Length - 1 ? null : text[(newline + 1)..]);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentOutOfRangeException or OverflowException)
        {
            throw new ArgumentException("Not a continuation token of an event query.", nameof(token), ex);
        }
    }

    private static TableEntity Write(StoredEvent e, string pk, string rk, bool withEnvelope)
    {
        var row = new TableEntity(pk, rk)
        {
            [Fields.Tenant] = e.Tenant, [Fields.Source] = e.Source, [Fields.Id] = e.Id, [Fields.Type] = e.Type,
            [Fields.OccurredAt] = e.OccurredAt, [Fields.ArrivedAt] = e.ArrivedAt, [Fields.CorrelationId] = e.CorrelationId,
            [Fields.CausationId] = e.CausationId, [Fields.Entity] = e.Entity, [Fields.Classification] = e.Classification?.ToString(),
            [Fields.Payload] = e.Payload.ToString(), [Fields.Bus] = e.Transport.Bus, [Fields.Destination] = e.Transport.Destination,
            [Fields.RoutingKey] = e.Transport.RoutingKey, [Fields.KafkaPartition] = e.Transport.Partition, [Fields.KafkaOffset] = e.Transport.Offset,
            [Fields.ReadError] = e.ReadError is null ? null : Truncate(e.ReadError),
        };
        var parts = PropertyText.Split(e.Envelope);
        row[Fields.EnvelopeParts] = withEnvelope ? parts.Length : 0;
        if (withEnvelope) for (var i = 0; i < parts.Length; i++) row[Fields.EnvelopePart(i)] = parts[i];
        return row;
    }

    private static StoredEvent Read(TableEntity row)
    {
        var parts = row.GetInt32(Fields.EnvelopeParts) ?? 0;
        return Summary(row) with
        {
            Envelope = string.Concat(Enumerable.Range(0, parts).Select(i => row.GetString(Fields.EnvelopePart(i)))),
            Seen = row.GetInt32(Fields.Seen) ?? 1,
        };
    }

    private static StoredEvent Summary(TableEntity row) => new()
    {
        Tenant = row.GetString(Fields.Tenant)!, Source = row.GetString(Fields.Source)!, Id = row.GetString(Fields.Id)!, Type = row.GetString(Fields.Type)!,
        OccurredAt = row.GetDateTimeOffset(Fields.OccurredAt)!.Value, ArrivedAt = row.GetDateTimeOffset(Fields.ArrivedAt)!.Value,
        CorrelationId = row.GetString(Fields.CorrelationId)!, CausationId = row.GetString(Fields.CausationId), Entity = row.GetString(Fields.Entity),
        Classification = Enum.TryParse<DataClassification>(row.GetString(Fields.Classification), out var c) ? c : null,
        Payload = Enum.Parse<PayloadRetention>(row.GetString(Fields.Payload)!),
        Transport = new TransportInfo(row.GetString(Fields.Bus)!, row.GetString(Fields.Destination)!, row.GetString(Fields.RoutingKey),
            row.GetInt32(Fields.KafkaPartition), row.GetInt64(Fields.KafkaOffset)),
        Envelope = "",
        ReadError = row.GetString(Fields.ReadError),
    };

    private static string Truncate(string text) => text.Length <= 8000 ? text : text[..8000];

    private async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        if (_tableReady) return;
        await _table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        _tableReady = true;
    }

    private static class Fields
    {
        public const string Tenant = nameof(Tenant), Source = nameof(Source), Id = nameof(Id), Type = nameof(Type);
        public const string OccurredAt = nameof(OccurredAt), ArrivedAt = nameof(ArrivedAt), CorrelationId = nameof(CorrelationId), CausationId = nameof(CausationId);
        public const string Entity = nameof(Entity), Classification = nameof(Classification), Payload = nameof(Payload), Bus = nameof(Bus);
        public const string Destination = nameof(Destination), RoutingKey = nameof(RoutingKey), KafkaPartition = nameof(KafkaPartition), KafkaOffset = nameof(KafkaOffset);
        public const string ReadError = nameof(ReadError), EnvelopeParts = nameof(EnvelopeParts), Seen = nameof(Seen), OldestHour = nameof(OldestHour);
        public const string Consumer = nameof(Consumer), Code = nameof(Code), Reason = nameof(Reason), DeadLetteredAt = nameof(DeadLetteredAt), PointsTo = nameof(PointsTo);
        public static string EnvelopePart(int i) => $"Envelope{i:D2}";
    }
}
