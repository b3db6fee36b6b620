using Azure;
using EventProcessors.Contracts;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using Microsoft.Extensions.Options;

namespace EventProcessors.Processing.Idempotency;

/// <summary>
/// Idempotency records in one table (Azure Table Storage, Azurite, or the in-memory table).
/// PartitionKey = consumer + bucket (spreads a consumer over <see cref="ProcessingOptions.PartitionBuckets"/>
/// partitions); RowKey = escaped (source, id). The happy path is two operations: insert, conditional merge.
/// </summary>
public sealed class TableIdempotencyStore : IIdempotencyStore, IIdempotencyRecords
{
    // One binary property holds at most 64 KiB; one entity at most 1 MiB. Binary travels base64 in the
    // JSON request (4/3 larger), and Azurite checks the 1 MiB on the request body, so 11 chunks (704 KiB,
    // ~940 KB as base64) keep every write under it; longer outcomes spill to overflow rows.
    internal const int ChunkBytes = 64 * 1024;
    internal const int ChunksPerEntity = 11;

    private readonly ITableClient _table;
    private readonly ProcessingOptions _options;
    private readonly TimeProvider _time;
    private volatile bool _tableReady;

    public TableIdempotencyStore(ITableServiceClient tables, IOptions<ProcessingOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _table = tables.GetTableClient(_options.IdempotencyTableName);
        _time = time;
    }

    public async Task<ClaimResult> ClaimAsync(IdempotencyKey key, string eventType, bool rerunDeadLettered = false, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var (partitionKey, rowKey) = Locate(key);
        // A fresh owner per claim call: reading our own owner back proves a write we could not see succeed was ours.
        var owner = Guid.NewGuid().ToString("N");

        for (var round = 0; round < 5; round++)
        {
            var now = _time.GetUtcNow();
            var record = new TableEntity(partitionKey, rowKey)
            {
                [Fields.Consumer] = key.Consumer,
                [Fields.EventSource] = key.EventSource,
                [Fields.EventId] = key.EventId,
                [Fields.EventType] = eventType,
                [Fields.Status] = nameof(IdempotencyStatus.Processing),
                [Fields.LeaseOwner] = owner,
                [Fields.LeaseExpiresAt] = now + _options.LeaseDuration,
                [Fields.Attempts] = 1,
                [Fields.CreatedAt] = now,
                [Fields.ExpiresAt] = now + _options.Retention,
            };
            try
            {
                var etag = await _table.AddEntityAsync(record, cancellationToken).ConfigureAwait(false);
                return Acquired(key, owner, etag, 1, now);
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

    /// <summary>Decides from an existing record; null means it changed under us and the caller should look again.</summary>
    private async Task<ClaimResult?> DecideAsync(TableEntity existing, IdempotencyKey key, string owner, bool rerunDeadLettered, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var status = Enum.Parse<IdempotencyStatus>(existing.GetString(Fields.Status)!);
        var attempts = existing.GetInt32(Fields.Attempts) ?? 1;
        var leaseExpiresAt = existing.GetDateTimeOffset(Fields.LeaseExpiresAt) ?? DateTimeOffset.MinValue;

        switch (status)
        {
            case IdempotencyStatus.Completed:
                return new ClaimResult(ClaimStatus.Completed, Outcome: await ReadOutcomeAsync(existing, cancellationToken).ConfigureAwait(false));
            case IdempotencyStatus.DeadLettered when !rerunDeadLettered:
                return new ClaimResult(ClaimStatus.DeadLettered, Error: ReadError(existing));
            case IdempotencyStatus.Processing when existing.GetString(Fields.LeaseOwner) == owner:
                return Acquired(key, owner, existing.ETag, attempts, now); // ambiguous commit: the write was ours
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
            return Acquired(key, owner, etag, attempts + 1, now);
        }
        catch (RequestFailedException e) when (e.IsPreconditionFailed() || e.IsNotFound())
        {
            return null; // another worker moved first, or the record was swept
        }
    }

    public async Task<bool> CompleteAsync(IdempotencyClaim claim, ProcessingOutcome outcome, CancellationToken cancellationToken = default)
    {
        var (partitionKey, rowKey) = Locate(claim.Key);
        var now = _time.GetUtcNow();
        var update = new TableEntity(partitionKey, rowKey)
        {
            [Fields.Status] = nameof(IdempotencyStatus.Completed),
            [Fields.LeaseExpiresAt] = now,
            [Fields.CompletedAt] = now,
            [Fields.ExpiresAt] = now + _options.Retention,
        };
        await WriteOutcomeAsync(update, OutcomeSerializer.Serialize(outcome), now, cancellationToken).ConfigureAwait(false);
        try
        {
            await _table.UpdateEntityAsync(update, new ETag(claim.ETag), TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.IsPreconditionFailed() || e.IsNotFound())
        {
            // Either the lease was taken over, or our own update landed before a retry of it.
            var current = await _table.GetEntityAsync(partitionKey, rowKey, cancellationToken).ConfigureAwait(false);
            return current?.GetString(Fields.Status) == nameof(IdempotencyStatus.Completed)
                && current.GetString(Fields.LeaseOwner) == claim.Owner;
        }
    }

    public Task ReleaseAsync(IdempotencyClaim claim, string error, CancellationToken cancellationToken = default)
    {
        var (partitionKey, rowKey) = Locate(claim.Key);
        return UpdateIfStillOwnedAsync(claim, new TableEntity(partitionKey, rowKey)
        {
            [Fields.Status] = nameof(IdempotencyStatus.Failed),
            [Fields.LeaseExpiresAt] = _time.GetUtcNow(),
            [Fields.LastError] = Truncate(error),
        }, cancellationToken);
    }

    public Task DeadLetterAsync(IdempotencyClaim claim, EventError error, CancellationToken cancellationToken = default)
    {
        var (partitionKey, rowKey) = Locate(claim.Key);
        var now = _time.GetUtcNow();
        var update = new TableEntity(partitionKey, rowKey)
        {
            [Fields.Status] = nameof(IdempotencyStatus.DeadLettered),
            [Fields.LeaseExpiresAt] = now,
            [Fields.CompletedAt] = now,
            [Fields.ExpiresAt] = now + _options.Retention,
            [Fields.LastErrorCode] = error.Code.ToString(),
            [Fields.LastError] = Truncate(error.Message),
            [Fields.LastErrorPath] = error.Path,
        };
        return UpdateIfStillOwnedAsync(claim, update, cancellationToken);
    }

    public async Task<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var query = new TableQuery(TableFilter.LessThan(Fields.ExpiresAt, _time.GetUtcNow()), Select: [Fields.ExpiresAt]);
        var deleted = 0;
        await Parallel.ForEachAsync(
            _table.QueryAsync(query, cancellationToken),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (entity, ct) =>
            {
                try
                {
                    // Conditional: a record renewed since the query (a late completion) is kept.
                    if (await _table.DeleteEntityAsync(entity.PartitionKey, entity.RowKey, entity.ETag, ct).ConfigureAwait(false))
                        Interlocked.Increment(ref deleted);
                }
                catch (RequestFailedException e) when (e.IsPreconditionFailed())
                {
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

    private async Task UpdateIfStillOwnedAsync(IdempotencyClaim claim, TableEntity update, CancellationToken cancellationToken)
    {
        try
        {
            await _table.UpdateEntityAsync(update, new ETag(claim.ETag), TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.IsPreconditionFailed() || e.IsNotFound())
        {
            // The lease passed to another worker, whose verdict stands.
        }
    }

    private async Task WriteOutcomeAsync(TableEntity record, byte[] data, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var chunks = data.Chunk(ChunkBytes).ToArray();
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

    private ClaimResult Acquired(IdempotencyKey key, string owner, ETag etag, int attempt, DateTimeOffset now) =>
        new(ClaimStatus.Acquired, new IdempotencyClaim(key, owner, etag.ToString(), attempt, now + _options.LeaseDuration));

    private (string PartitionKey, string RowKey) Locate(IdempotencyKey key)
    {
        var rowKey = StorageKeys.Join(key.EventSource, key.EventId);
        var bucket = StorageKeys.Bucket(rowKey, _options.PartitionBuckets);
        return ($"{StorageKeys.Escape(key.Consumer)}-{bucket:D2}", rowKey);
    }

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
        public const string OutcomeChunks = nameof(OutcomeChunks);
        public const string OutcomeOverflowRows = nameof(OutcomeOverflowRows);
        public static string OutcomeChunk(int index) => $"Outcome{index:D2}";
    }
}
