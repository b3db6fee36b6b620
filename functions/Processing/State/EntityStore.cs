using System.Text.Json;
using Azure;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.State;

/// <summary>The rows of an entity a decision asked to see, as read with its document.</summary>
public sealed class EntityRows
{
    private readonly IReadOnlyDictionary<string, JsonElement> _rows;

    internal EntityRows(IReadOnlyDictionary<string, JsonElement> rows) => _rows = rows;

    /// <summary>The row, or null when it does not exist. Only rows named in the update can be read.</summary>
    public T? Get<T>(string row) where T : class => _rows.TryGetValue(row, out var json)
        ? json.Deserialize<T>(Contracts.ContractJson.Options)
        : null;

    internal bool Exists(string row) => _rows.ContainsKey(row);
}

/// <summary>The next state of an entity: its document, and rows of its own put (value) or deleted (null) with it.</summary>
public sealed record EntityChange<TRoot>(TRoot Root) where TRoot : class
{
    public IReadOnlyDictionary<string, object?> Rows { get; init; } = new Dictionary<string, object?>();

    public EntityChange<TRoot> Put(string row, object value) => this with { Rows = new Dictionary<string, object?>(Rows) { [row] = value } };

    public EntityChange<TRoot> Delete(string row) => this with { Rows = new Dictionary<string, object?>(Rows) { [row] = null } };
}

/// <summary>
/// Entities with a document and rows of their own (a stock level and its reservations, a part's inventory and its
/// bookings) in one partition per (tenant, entity) of a <see cref="StateTable"/>. Every change is decided on the latest
/// document and the rows it names, and written with them as one, guarded by the document's ETag: totals kept on the
/// document always agree with the rows, and concurrent changes never lose one another. An entity's rows are never
/// rewritten as a whole, so however many it has, a change costs the same.
/// </summary>
/// <remarks>An entity is named by a storage-safe key: <see cref="StorageKeys.Escape"/> or <see cref="StorageKeys.Join"/> of its id.</remarks>
public sealed class EntityStore<TRoot>(ITableServiceClient tables, string tableName) where TRoot : class
{
    /// <summary>The row key of an entity's own document.</summary>
    public const string DocumentRow = "doc";
    private const int MaxConflictRetries = 10;

    public StateTable Table { get; } = new(tables, tableName);

    public async Task<TRoot?> GetAsync(string tenant, string entity, CancellationToken cancellationToken) =>
        (await Table.GetAsync<TRoot>(StateTable.Partition(tenant, entity), DocumentRow, cancellationToken).ConfigureAwait(false))?.Value;

    public async Task<T?> GetRowAsync<T>(string tenant, string entity, string row, CancellationToken cancellationToken) where T : class =>
        (await Table.GetAsync<T>(StateTable.Partition(tenant, entity), row, cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>The entity's rows whose key starts with <paramref name="rowPrefix"/>, in key order.</summary>
    public IAsyncEnumerable<T> ListRowsAsync<T>(string tenant, string entity, string rowPrefix, CancellationToken cancellationToken) =>
        Table.ListAsync<T>(StateTable.Partition(tenant, entity), rowPrefix, cancellationToken);

    /// <summary>The documents of every entity of <paramref name="tenant"/> whose key starts with <paramref name="entityPrefix"/>, in key order.</summary>
    public IAsyncEnumerable<TRoot> ListAsync(string tenant, string entityPrefix, CancellationToken cancellationToken) =>
        Table.ListAcrossAsync<TRoot>(StateTable.PartitionPrefix(tenant, entityPrefix), DocumentRow, cancellationToken);

    /// <summary>
    /// Reads the entity's document and <paramref name="rows"/>, lets <paramref name="decide"/> choose the change (null:
    /// none) and a result, and writes the change if the document is unchanged since; on a conflict it reads and decides again.
    /// </summary>
    public async Task<TResult> UpdateAsync<TResult>(string tenant, string entity, IReadOnlyCollection<string> rows,
        Func<TRoot?, EntityRows, (EntityChange<TRoot>? Change, TResult Result)> decide, CancellationToken cancellationToken)
    {
        var partition = StateTable.Partition(tenant, entity);
        for (var attempt = 0; ; attempt++)
        {
            var document = Table.GetAsync<TRoot>(partition, DocumentRow, cancellationToken);
            var read = rows.Distinct().Select(async row => (row, entry: await Table.GetAsync<JsonElement>(partition, row, cancellationToken).ConfigureAwait(false))).ToArray();
            var current = await document.ConfigureAwait(false);
            var found = new EntityRows((await Task.WhenAll(read).ConfigureAwait(false))
                .Where(r => r.entry is not null).ToDictionary(r => r.row, r => r.entry!.Value));

            var (change, result) = decide(current?.Value, found);
            if (change is null) return result;
            List<StateWrite> writes = [current is null ? StateWrite.Add(DocumentRow, change.Root) : StateWrite.Update(DocumentRow, change.Root, current.ETag)];
            foreach (var (row, value) in change.Rows)
            {
                if (!rows.Contains(row)) throw new InvalidOperationException($"Row '{row}' was changed without being read.");
                if (value is not null) writes.Add(StateWrite.Upsert(row, value));
                else if (found.Exists(row)) writes.Add(StateWrite.Delete(row));
            }
            try
            {
                await Table.SubmitAsync(partition, writes, cancellationToken).ConfigureAwait(false);
                return result;
            }
            catch (RequestFailedException e) when ((e.IsConflict() || e.IsPreconditionFailed() || e.IsNotFound()) && attempt < MaxConflictRetries)
            {
                // Someone else wrote first: decide again on what they wrote.
                await Task.Delay(Random.Shared.Next(5, 20 * (attempt + 1)), cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.IsConflict() || e.IsPreconditionFailed() || e.IsNotFound())
            {
                throw Contended(tenant, entity, e);
            }
        }
    }

    /// <summary>
    /// Inserts <paramref name="document"/> as the entity's document unless it has one, and returns the stored one
    /// (<paramref name="document"/> when the insert took). One storage operation for a new entity, where reading first costs
    /// two; an existing document is read after the refused insert, and one deleted in between is inserted again.
    /// </summary>
    public async Task<TRoot> AddOrGetAsync(string tenant, string entity, TRoot document, CancellationToken cancellationToken)
    {
        var partition = StateTable.Partition(tenant, entity);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await Table.SubmitAsync(partition, [StateWrite.Add(DocumentRow, document)], cancellationToken).ConfigureAwait(false);
                return document;
            }
            catch (RequestFailedException e) when (e.IsConflict())
            {
                if (await GetAsync(tenant, entity, cancellationToken).ConfigureAwait(false) is { } stored) return stored;
                if (attempt == MaxConflictRetries) throw Contended(tenant, entity, e);
            }
        }
    }

    private TransientProcessingException Contended(string tenant, string entity, Exception cause) =>
        new($"{Table.Name}/{tenant}/{entity} stayed contended after {MaxConflictRetries} attempts.", cause);
}
