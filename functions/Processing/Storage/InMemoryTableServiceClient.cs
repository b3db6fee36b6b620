using System.Collections.Concurrent;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// An in-memory storage account with the Table service's semantics (see <see cref="InMemoryTableClient"/>).
/// For tests and the self-hosted worker's in-memory mode; state lives as long as this object. Thread-safe.
/// </summary>
public sealed class InMemoryTableServiceClient : ITableServiceClient
{
    // Table names are case-insensitive in the service.
    private readonly ConcurrentDictionary<string, InMemoryTable> _tables = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _clock;

    /// <param name="clock">The source of entity timestamps; default <see cref="TimeProvider.System"/>.</param>
    public InMemoryTableServiceClient(TimeProvider? clock = null) => _clock = clock ?? TimeProvider.System;

    public ITableClient GetTableClient(string tableName)
    {
        ArgumentException.ThrowIfNullOrEmpty(tableName);
        return new InMemoryTableClient(this, tableName);
    }

    internal InMemoryTable? FindTable(string name) => _tables.GetValueOrDefault(name);

    internal void CreateTable(string name) => _tables.GetOrAdd(name, _ => new InMemoryTable(_clock));

    internal bool DeleteTable(string name)
    {
        if (!_tables.TryRemove(name, out var table)) return false;
        table.MarkDeleted();
        return true;
    }
}
