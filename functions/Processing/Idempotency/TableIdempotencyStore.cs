using System.Globalization;
using Azure;
using Azure.Data.Tables;
using EventProcessors.Contracts;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using Microsoft.Extensions.Options;

namespace EventProcessors.Processing.Idempotency;

/// <summary>
/// Idempotency records in one table (Azure Table Storage, Azurite, or the in-memory table).
/// RowKey = escaped (consumer, tenant, source, id); PartitionKey = a hash bucket of it, one of
/// <see cref="ProcessingOptions.PartitionBuckets"/>, so every consumer is spread over all of them and the sweep knows
/// every partition. A settled record (completed or dead-lettered) has an expiry index row in its partition, written in
/// the same transaction: RowKey <c>~expires|{yyyyMMddHH of ExpiresAt}|{record RowKey}</c>, so the sweep reads only the
/// index rows of hours already past. The happy path is two requests: insert, then one transaction (conditional merge
/// of the record and its index row), plus one merge for the published marker when the outcome has anything to
/// publish, plus one merge per <see cref="ProcessingOptions.LeaseRenewalInterval"/> the action runs. A duplicate of a
/// published event costs two (the refused insert, the read) and publishes nothing.
/// </summary>
public sealed class TableIdempotencyStore : IIdempotencyStore, IIdempotencyRecords
{
    // One binary property holds at most 64 KiB; one entity at most 1 MiB. Binary travels base64 in the
    // JSON request (4/3 larger), and Azurite checks the 1 MiB on the request body, so 11 chunks (704 KiB,
    // ~940 KB as base64) keep every write under it; longer outcomes spill to overflow rows.
    internal const int ChunkBytes = 64 * 1024;
    internal const int ChunksPerEntity = 11;

    // Sorts after every record row key's first character that Escape leaves ('~' is 0x7E), and cannot be a record's:
    // a record's row key has four '|'-joined parts whose '|' are escaped.
    internal const string ExpiryIndexPrefix = "~expires|";
    private const string ExpiryBucketFormat = "yyyyMMddHH";

    private readonly ITableClient _table;
    private readonly ProcessingOptions _options;
    private readonly TimeProvider _time;
    private volatile bool _tableReady;

    // Every owner this instance writes starts with its own id, and the calls here claiming or holding a key are counted,
    // so a Processing record owned by this instance that no other call here holds is a leftover of ours (an insert that
    // landed while its call failed, a release or completion that failed): taken over at once instead of after its lease.
    private readonly string _instance = Guid.NewGuid().ToString("N");
    private long _claims;

    // Every bucket's PartitionKey, made once rather than per request.
    private readonly string[] _partitions;
    // Every claim adds and removes an entry: locks for many concurrent handlers, not the default one per core.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string), int> _held = new(concurrencyLevel: 64, capacity: 256);

    [ThreadStatic] private static Dictionary<string, object>? t_record;

    public TableIdempotencyStore(ITableServiceClient tables, IOptions<ProcessingOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _table = tables.GetTableClient(_options.IdempotencyTableName);
        _time = time;
        _partitions = [.. Enumerable.Range(0, _options.PartitionBuckets).Select(PartitionName)];
    }

    public async Task<ClaimResult> ClaimAsync(IdempotencyKey key, string eventType, bool rerunDeadLettered = false, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var (partitionKey, rowKey) = Locate(key);
        Hold(partitionKey, rowKey);
        try
        {
            var claimed = await ClaimHeldAsync(key, partitionKey, rowKey, eventType, rerunDeadLettered, cancellationToken).ConfigureAwait(false);
            if (claimed.Status != ClaimStatus.Acquired) Unhold(partitionKey, rowKey);
            return claimed;
        }
        catch
        {
            Unhold(partitionKey, rowKey);
            throw;
        }
    }

    private void Hold(string partitionKey, string rowKey) => _held.AddOrUpdate((partitionKey, rowKey), 1, (_, calls) => calls + 1);

    private void Unhold(string partitionKey, string rowKey)
    {
        while (_held.TryGetValue((partitionKey, rowKey), out var calls))
        {
            if (calls <= 1 ? _held.TryRemove(new((partitionKey, rowKey), calls)) : _held.TryUpdate((partitionKey, rowKey), calls - 1, calls)) return;
        }
    }

    private async ValueTask<ClaimResult> ClaimHeldAsync(IdempotencyKey key, string partitionKey, string rowKey, string eventType, bool rerunDeadLettered,
        CancellationToken cancellationToken)
    {
        // A fresh owner per claim call: reading our own owner back proves a write we could not see succeed was ours.
        var owner = string.Create(CultureInfo.InvariantCulture, $"{_instance}.{Interlocked.Increment(ref _claims):x}");

        for (var round = 0; round < 5; round++)
        {
            var now = _time.GetUtcNow();
            var record = NewRecord(partitionKey, rowKey, key, eventType, owner, now);
            try
            {
                var etag = await _table.AddEntityAsync(record, cancellationToken).ConfigureAwait(false);
                return Acquired(key, (partitionKey, rowKey), owner, etag, 1, now);
            }
            catch (RequestFailedException e) when (e.IsConflict())
            {
                // Someone holds the key, or our own insert landed before a retry of it: read and decide.
            }

            var existing = await _table.GetEntityAsync(partitionKey, rowKey, cancellationToken).ConfigureAwait(false);
            if (existing is null) continue; // swept between the insert and the read: insert again

            var decided = await DecideAsync(existing, key, owner, rerunDeadLettered, cancellationToken).ConfigureAwait(false);
            if (decided is not null) return decided;
        }
        throw new TransientProcessingException($"Could not settle the idempotency record of {key} under contention.");
    }

    /// <summary>A new record, Processing under <paramref name="owner"/>'s lease.</summary>
    private TableEntity NewRecord(string partitionKey, string rowKey, IdempotencyKey key, string eventType, string owner, DateTimeOffset now)
    {
        // Gathered in this thread's dictionary, which TableEntity copies at its exact size: a third less than the entity's own
        // dictionary growing property by property, on every claim.
        var properties = t_record ??= new Dictionary<string, object>(13);
        try
        {
            properties["PartitionKey"] = partitionKey;
            properties["RowKey"] = rowKey;
            properties[Fields.Consumer] = key.Consumer;
            properties[Fields.Tenant] = key.Tenant;
            properties[Fields.EventSource] = key.EventSource;
            properties[Fields.EventId] = key.EventId;
            properties[Fields.EventType] = eventType;
            properties[Fields.Status] = nameof(IdempotencyStatus.Processing);
            properties[Fields.LeaseOwner] = owner;
            properties[Fields.LeaseExpiresAt] = now + _options.LeaseDuration;
            properties[Fields.Attempts] = 1;
            properties[Fields.CreatedAt] = now;
            properties[Fields.ExpiresAt] = now + _options.Retention;
            return new TableEntity(properties);
        }
        finally
        {
            properties.Clear();
        }
    }

    /// <summary>Decides from an existing record; null means it changed under us and the caller should look again.</summary>
    private async Task<ClaimResult?> DecideAsync(TableEntity existing, IdempotencyKey key, string owner, bool rerunDeadLettered, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var status = Enum.Parse<IdempotencyStatus>(existing.GetString(Fields.Status)!);
        var attempts = existing.GetInt32(Fields.Attempts) ?? 1;
        var leaseExpiresAt = existing.GetDateTimeOffset(Fields.LeaseExpiresAt) ?? DateTimeOffset.MinValue;

        switch (status)
        {
            case IdempotencyStatus.Completed when existing.GetDateTimeOffset(Fields.PublishedAt) is not null:
                return new ClaimResult(ClaimStatus.Completed, Outcome: ProcessingOutcome.Empty, Published: true); // nothing to read or replay
            case IdempotencyStatus.Completed when existing.GetDateTimeOffset(Fields.FollowOnsPublishedAt) is not null:
                return new ClaimResult(ClaimStatus.Completed, Outcome: await ReadOutcomeAsync(existing, cancellationToken).ConfigureAwait(false) with { Events = [] });
            case IdempotencyStatus.Completed:
                return new ClaimResult(ClaimStatus.Completed, Outcome: await ReadOutcomeAsync(existing, cancellationToken).ConfigureAwait(false));
            case IdempotencyStatus.DeadLettered when !rerunDeadLettered:
                return new ClaimResult(ClaimStatus.DeadLettered, Error: ReadError(existing));
            case IdempotencyStatus.Processing when existing.GetString(Fields.LeaseOwner) == owner:
                return Acquired(key, (existing.PartitionKey, existing.RowKey), owner, existing.ETag, attempts, now); // ambiguous commit: the write was ours
            case IdempotencyStatus.Processing when existing.GetString(Fields.LeaseOwner)?.StartsWith(_instance + ".", StringComparison.Ordinal) == true
                && _held.GetValueOrDefault((existing.PartitionKey, existing.RowKey)) <= 1:
                break; // a leftover of this instance (see _held): nobody runs it, take it over now
            case IdempotencyStatus.Processing when leaseExpiresAt > now:
                return new ClaimResult(ClaimStatus.InProgress, RetryAfter: leaseExpiresAt - now);
        }

        // Failed, Processing with an expired lease (its worker died), or dead-lettered and replayed: take it over, guarded by the ETag.
        existing[Fields.Status] = nameof(IdempotencyStatus.Processing);
        existing[Fields.LeaseOwner] = owner;
        existing[Fields.LeaseExpiresAt] = now + _options.LeaseDuration;
        existing[Fields.Attempts] = attempts + 1;
        try
        {
            var etag = await _table.UpdateEntityAsync(existing, existing.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return Acquired(key, (existing.PartitionKey, existing.RowKey), owner, etag, attempts + 1, now);
        }
        catch (RequestFailedException e) when (e.IsPreconditionFailed() || e.IsNotFound())
        {
            return null; // another worker moved first, or the record was swept
        }
    }

    public async Task<IdempotencyClaim?> RenewAsync(IdempotencyClaim claim, CancellationToken cancellationToken = default)
    {
        var (partitionKey, rowKey) = Locate(claim);
        var expires = _time.GetUtcNow() + _options.LeaseDuration;
        var update = new TableEntity(partitionKey, rowKey) { [Fields.LeaseExpiresAt] = expires };
        try
        {
            var etag = await _table.UpdateEntityAsync(update, new ETag(claim.ETag), TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            return claim with { ETag = etag.ToString(), LeaseExpiresAt = expires };
        }
        catch (RequestFailedException e) when (e.IsPreconditionFailed() || e.IsNotFound())
        {
            // Taken over, or our own renewal landed before a retry of it: only the owner tells.
            var current = await _table.GetEntityAsync(partitionKey, rowKey, cancellationToken).ConfigureAwait(false);
            if (current?.GetString(Fields.Status) == nameof(IdempotencyStatus.Processing) && current.GetString(Fields.LeaseOwner) == claim.Owner)
                return claim with { ETag = current.ETag.ToString(), LeaseExpiresAt = current.GetDateTimeOffset(Fields.LeaseExpiresAt) ?? expires };
            Unhold(partitionKey, rowKey);
            return null;
        }
    }

    public async Task<bool> CompleteAsync(IdempotencyClaim claim, ProcessingOutcome outcome, CancellationToken cancellationToken = default)
    {
        var (partitionKey, rowKey) = Locate(claim);
        var now = _time.GetUtcNow();
        var update = new TableRow(partitionKey, rowKey)
        {
            [Fields.Status] = nameof(IdempotencyStatus.Completed),
            [Fields.LeaseExpiresAt] = now,
            [Fields.CompletedAt] = now,
            [Fields.ExpiresAt] = now + _options.Retention,
        };
        if (outcome.Events.Count == 0 && outcome.Records.Count == 0) update[Fields.PublishedAt] = now;
        await WriteOutcomeAsync(update, OutcomeSerializer.Serialize(outcome), now, cancellationToken).ConfigureAwait(false);
        var completed = await UpdateOwnedAsync(claim, update, settles: true, cancellationToken).ConfigureAwait(false);
        Unhold(partitionKey, rowKey); // when this throws, the caller releases the claim instead
        return completed;
    }

    public Task MarkPublishedAsync(IdempotencyKey key, CancellationToken cancellationToken = default) => MarkAsync(key, Fields.PublishedAt, cancellationToken);

    public Task MarkFollowOnsPublishedAsync(IdempotencyKey key, CancellationToken cancellationToken = default) => MarkAsync(key, Fields.FollowOnsPublishedAt, cancellationToken);

    private async Task MarkAsync(IdempotencyKey key, string field, CancellationToken cancellationToken)
    {
        var (partitionKey, rowKey) = Locate(key);
        var marker = new TableEntity(partitionKey, rowKey) { [field] = _time.GetUtcNow() };
        if (field == Fields.PublishedAt)
        {
            // A published outcome is never read again (a duplicate replays nothing), so the marker also empties its first chunk,
            // the only one an outcome under 64 KiB has, rather than keeping it for the whole retention.
            marker[Fields.OutcomeChunks] = 0;
            marker[Fields.OutcomeChunk(0)] = Array.Empty<byte>();
        }
        try
        {
            await _table.UpdateEntityAsync(marker, ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.IsNotFound())
        {
            // Swept meanwhile: nothing left to mark.
        }
    }

    public Task ReleaseAsync(IdempotencyClaim claim, string error, CancellationToken cancellationToken = default)
    {
        var (partitionKey, rowKey) = Locate(claim);
        return UpdateIfStillOwnedAsync(claim, new TableRow(partitionKey, rowKey, capacity: 3)
        {
            [Fields.Status] = nameof(IdempotencyStatus.Failed),
            [Fields.LeaseExpiresAt] = _time.GetUtcNow(),
            [Fields.LastError] = Truncate(error),
        }, cancellationToken);
    }

    public Task DeadLetterAsync(IdempotencyClaim claim, EventError error, CancellationToken cancellationToken = default)
    {
        var (partitionKey, rowKey) = Locate(claim);
        var now = _time.GetUtcNow();
        var update = new TableRow(partitionKey, rowKey)
        {
            [Fields.Status] = nameof(IdempotencyStatus.DeadLettered),
            [Fields.LeaseExpiresAt] = now,
            [Fields.CompletedAt] = now,
            [Fields.ExpiresAt] = now + _options.Retention,
            [Fields.LastErrorCode] = error.Code.ToString(),
            [Fields.LastError] = Truncate(error.Message),
            [Fields.LastErrorPath] = error.Path,
        };
        return UpdateIfStillOwnedAsync(claim, update, cancellationToken, settles: true);
    }

    public async Task<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        // Buckets strictly before the current hour: all their records have expired.
        var from = ExpiryIndexPrefix;
        var to = ExpiryIndexPrefix + now.UtcDateTime.ToString(ExpiryBucketFormat, CultureInfo.InvariantCulture);
        var deleted = 0;
        await Parallel.ForEachAsync(
            Enumerable.Range(0, _options.PartitionBuckets),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (bucket, ct) =>
            {
                var partitionKey = Partition(bucket);
                var expired = _table.QueryAsync(
                    e => e.PartitionKey == partitionKey && e.RowKey.CompareTo(from) >= 0 && e.RowKey.CompareTo(to) < 0,
                    cancellationToken: ct);
                await foreach (var index in expired.ConfigureAwait(false))
                {
                    if (await SweepRecordAsync(index, now, ct).ConfigureAwait(false)) Interlocked.Increment(ref deleted);
                }
            }).ConfigureAwait(false);
        return deleted;
    }

    public async Task<IdempotencyRecord?> ReadAsync(IdempotencyKey key, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var (partitionKey, rowKey) = Locate(key);
        var record = await _table.GetEntityAsync(partitionKey, rowKey, cancellationToken).ConfigureAwait(false);
        return record is null ? null : new IdempotencyRecord(
            Enum.Parse<IdempotencyStatus>(record.GetString(Fields.Status)!),
            record.GetInt32(Fields.Attempts) ?? 1,
            record.GetString(Fields.LastErrorCode),
            record.GetString(Fields.LastError),
            record.GetDateTimeOffset(Fields.CreatedAt),
            record.GetDateTimeOffset(Fields.CompletedAt));
    }

    public async Task ForgetAsync(IdempotencyKey key, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var (partitionKey, rowKey) = Locate(key);
        var record = await _table.GetEntityAsync(partitionKey, rowKey, cancellationToken).ConfigureAwait(false);
        if (record is null) return;
        for (var r = 0; r < (record.GetInt32(Fields.OutcomeOverflowRows) ?? 0); r++)
            await _table.DeleteEntityAsync(partitionKey, OverflowRowKey(rowKey, r), cancellationToken: cancellationToken).ConfigureAwait(false);
        await _table.DeleteEntityAsync(partitionKey, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes the record an expired index row points to, with its overflow rows and the index row, in one transaction
    /// conditional on the record's ETag; a record renewed since (a later completion wrote a newer index row) only loses
    /// this stale index row, and one not settled (taken over by a replay) is kept with it.
    /// </summary>
    private async Task<bool> SweepRecordAsync(TableEntity index, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var record = index.GetString(Fields.Record) is { } rowKey
            ? await _table.GetEntityAsync(index.PartitionKey, rowKey, cancellationToken).ConfigureAwait(false)
            : null;
        var deleteIndex = new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(index.PartitionKey, index.RowKey), index.ETag);
        try
        {
            if (record is null || (record.GetDateTimeOffset(Fields.ExpiresAt) ?? DateTimeOffset.MaxValue) > now)
            {
                await _table.SubmitTransactionAsync([deleteIndex], cancellationToken).ConfigureAwait(false);
                return false;
            }
            if (record.GetString(Fields.Status) is not (nameof(IdempotencyStatus.Completed) or nameof(IdempotencyStatus.DeadLettered)))
                return false;

            var overflow = Enumerable.Range(0, record.GetInt32(Fields.OutcomeOverflowRows) ?? 0)
                .Select(r => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(record.PartitionKey, OverflowRowKey(record.RowKey, r))))
                .ToList();
            // The record, its index row and up to 98 overflow rows go in one transaction; any further overflow rows
            // (outcomes over 69 MiB) are deleted first, as they are useless without the record.
            const int overflowInTransaction = TableClientExtensions.MaxTransactionActions - 2;
            foreach (var extra in overflow.Skip(overflowInTransaction))
                await _table.DeleteEntityAsync(extra.Entity.PartitionKey, extra.Entity.RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            overflow = overflow.Take(overflowInTransaction).ToList();
            await _table.SubmitTransactionAsync(
                [.. overflow, new(TableTransactionActionType.Delete, new TableEntity(record.PartitionKey, record.RowKey), record.ETag), deleteIndex],
                cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.IsPreconditionFailed() || e.IsNotFound())
        {
            return false; // changed or swept by another sweeper since it was read: the next sweep looks again
        }
    }

    private async Task UpdateIfStillOwnedAsync(IdempotencyClaim claim, TableRow update, CancellationToken cancellationToken, bool settles = false)
    {
        try
        {
            await UpdateOwnedAsync(claim, update, settles, cancellationToken).ConfigureAwait(false); // if the lease passed to another worker, its verdict stands
        }
        finally
        {
            Unhold(update.PartitionKey, update.RowKey);
        }
    }

    /// <summary>
    /// Merges a settling update (it carries the new <see cref="Fields.ExpiresAt"/>) into the record if its ETag still
    /// matches, and writes the record's expiry index row, in one transaction: one request, and no settled record
    /// without its index row. A lost lease fails the transaction with 412 (or 404 if swept).
    /// </summary>
    private Task SettleAsync(TableRow update, ETag ifMatch, CancellationToken cancellationToken)
    {
        var expiresAt = (DateTimeOffset)update[Fields.ExpiresAt]!;
        var index = new TableRow(update.PartitionKey, ExpiryIndexRowKey(expiresAt, update.RowKey), capacity: 2)
        {
            [Fields.Record] = update.RowKey,
            [Fields.ExpiresAt] = expiresAt,
        };
        return _table.SubmitTransactionAsync(
        [
            new(TableTransactionActionType.UpdateMerge, update, ifMatch),
            new(TableTransactionActionType.UpsertReplace, index),
        ], cancellationToken);
    }

    private static string ExpiryIndexRowKey(DateTimeOffset expiresAt, string recordRowKey) =>
        ExpiryIndexPrefix + expiresAt.UtcDateTime.ToString(ExpiryBucketFormat, CultureInfo.InvariantCulture) + "|" + recordRowKey;

    /// <summary>
/// Merges <paramref name="update"/> (with its expiry index row when it <paramref name="settles"/>) if the claim still owns the record. A refused ETag is looked into: a record we
    /// still own moved because our own write landed without our seeing it (a renewal cancelled in flight, a retried
    /// request), so the update is made on the current ETag, or was already made. False if another worker owns it.
    /// </summary>
    private async Task<bool> UpdateOwnedAsync(IdempotencyClaim claim, TableRow update, bool settles, CancellationToken cancellationToken)
    {
        var etag = new ETag(claim.ETag);
        for (var round = 0; round < 3; round++)
        {
            try
            {
                if (settles) await SettleAsync(update, etag, cancellationToken).ConfigureAwait(false);
                else await _table.UpdateEntityAsync(update.ToTableEntity(), etag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (RequestFailedException e) when (e.IsPreconditionFailed() || e.IsNotFound())
            {
                var current = await _table.GetEntityAsync(update.PartitionKey, update.RowKey, cancellationToken).ConfigureAwait(false);
                if (current is null || current.GetString(Fields.LeaseOwner) != claim.Owner) return false;
                if (current.GetString(Fields.Status) == (string?)update[Fields.Status]) return true; // ours landed
                if (current.GetString(Fields.Status) != nameof(IdempotencyStatus.Processing)) return false;
                etag = current.ETag;
            }
        }
        return false;
    }

    private async Task WriteOutcomeAsync(TableRow record, byte[] data, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // An outcome within one property (nearly all of them) is stored as it is, without a chunked copy.
        var chunks = data.Length <= ChunkBytes ? [data] : data.Chunk(ChunkBytes).ToArray();
        record[Fields.OutcomeChunks] = chunks.Length;
        if (chunks.Length <= ChunksPerEntity)
        {
            for (var i = 0; i < chunks.Length; i++) record[Fields.OutcomeChunk(i)] = chunks[i];
            return;
        }

        // Too large for one entity: overflow rows in the same partition, written before the record that points to them.
        var rows = chunks.Chunk(ChunksPerEntity).ToArray();
        record[Fields.OutcomeOverflowRows] = rows.Length;
        for (var r = 0; r < rows.Length; r++)
        {
            var overflow = new TableEntity(record.PartitionKey, OverflowRowKey(record.RowKey, r))
            {
                [Fields.ExpiresAt] = now + _options.Retention,
            };
            for (var i = 0; i < rows[r].Length; i++) overflow[Fields.OutcomeChunk(i)] = rows[r][i];
            await _table.UpsertEntityAsync(overflow, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<ProcessingOutcome> ReadOutcomeAsync(TableEntity record, CancellationToken cancellationToken)
    {
        var total = record.GetInt32(Fields.OutcomeChunks) ?? 0;
        var holders = new List<TableEntity>();
        var overflowRows = record.GetInt32(Fields.OutcomeOverflowRows) ?? 0;
        if (overflowRows == 0) holders.Add(record);
        for (var r = 0; r < overflowRows; r++)
        {
            holders.Add(await _table.GetEntityAsync(record.PartitionKey, OverflowRowKey(record.RowKey, r), cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidDataException($"Outcome overflow row {r} of {record.RowKey} is missing."));
        }

        using var buffer = new MemoryStream();
        var read = 0;
        foreach (var holder in holders)
            for (var i = 0; i < ChunksPerEntity && read < total; i++, read++)
                buffer.Write(holder.GetBinary(Fields.OutcomeChunk(i)) ?? throw new InvalidDataException($"Outcome chunk {read} of {record.RowKey} is missing."));
        return OutcomeSerializer.Deserialize(buffer.ToArray());
    }

    private static EventError ReadError(TableEntity record) => new(
        Enum.TryParse<EventErrorCode>(record.GetString(Fields.LastErrorCode), out var code) ? code : EventErrorCode.InvalidValue,
        record.GetString(Fields.LastError) ?? "dead-lettered",
        record.GetString(Fields.LastErrorPath));

    private ClaimResult Acquired(IdempotencyKey key, (string PartitionKey, string RowKey) location, string owner, ETag etag, int attempt, DateTimeOffset now) =>
        new(ClaimStatus.Acquired, new IdempotencyClaim(key, owner, etag.ToString(), attempt, now + _options.LeaseDuration) { Location = location });

    // A claim this store made knows where its record is, so the calls that hold it do not hash the key again.
    private (string PartitionKey, string RowKey) Locate(IdempotencyClaim claim) => claim.Location ?? Locate(claim.Key);

    private (string PartitionKey, string RowKey) Locate(IdempotencyKey key)
    {
        var rowKey = StorageKeys.Join(key.Consumer, key.Tenant, key.EventSource, key.EventId);
        return (Partition(StorageKeys.Bucket(rowKey, _options.PartitionBuckets)), rowKey);
    }

    private string Partition(int bucket) => _partitions[bucket];

    private static string PartitionName(int bucket) => bucket.ToString("D3", CultureInfo.InvariantCulture);

    private static string OverflowRowKey(string rowKey, int index) => $"{rowKey}~outcome~{index:D3}";

    // A string property holds at most 32K UTF-16 characters; error texts are kept well under that.
    private static string Truncate(string text) => text.Length <= 8000 ? text : text[..8000];

    private async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        if (_tableReady) return;
        await _table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        _tableReady = true;
    }

    /// <summary>Property names of an idempotency record.</summary>
    internal static class Fields
    {
        public const string Consumer = nameof(Consumer);
        public const string Tenant = nameof(Tenant);
        public const string EventSource = nameof(EventSource);
        public const string EventId = nameof(EventId);
        public const string EventType = nameof(EventType);
        public const string Status = nameof(Status);
        public const string LeaseOwner = nameof(LeaseOwner);
        public const string LeaseExpiresAt = nameof(LeaseExpiresAt);
        public const string Attempts = nameof(Attempts);
        public const string LastError = nameof(LastError);
        public const string LastErrorCode = nameof(LastErrorCode);
        public const string LastErrorPath = nameof(LastErrorPath);
        public const string CreatedAt = nameof(CreatedAt);
        public const string CompletedAt = nameof(CompletedAt);
        public const string ExpiresAt = nameof(ExpiresAt);
        public const string PublishedAt = nameof(PublishedAt);
        public const string FollowOnsPublishedAt = nameof(FollowOnsPublishedAt);
        public const string OutcomeChunks = nameof(OutcomeChunks);
        public const string OutcomeOverflowRows = nameof(OutcomeOverflowRows);
        /// <summary>On an expiry index row: the RowKey of the record it points to.</summary>
        public const string Record = nameof(Record);
        public static string OutcomeChunk(int index) => index < ChunkNames.Length ? ChunkNames[index] : $"Outcome{index:D2}";

        private static readonly string[] ChunkNames = [.. Enumerable.Range(0, ChunksPerEntity).Select(i => $"Outcome{i:D2}")];
    }
}
