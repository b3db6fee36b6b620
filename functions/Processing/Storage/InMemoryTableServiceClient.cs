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
    private long _lastTicks;

    /// <param name="clock">The source of entity timestamps; default <see cref="TimeProvider.System"/>.</param>
    public InMemoryTableServiceClient(TimeProvider? clock = null) => _clock = clock ?? TimeProvider.System;

    public ITableClient GetTableClient(string tableName)
    {
        ArgumentException.ThrowIfNullOrEmpty(tableName);
        return new InMemoryTableClient(this, tableName);
    }

    internal InMemoryTable? FindTable(string name) => _tables.GetValueOrDefault(name);

    internal void CreateTable(string name) => _tables.GetOrAdd(name, _ => new InMemoryTable(NextTimestamp));

    internal bool DeleteTable(string name) => _tables.TryRemove(name, out _);

    // Strictly increasing across the account, so that every write gets a distinct ETag even within one clock tick.
    private DateTimeOffset NextTimestamp()
    {
        while (true)
        {
            var last = Interlocked.Read(ref _lastTicks);
            var next = Math.Max(_clock.GetUtcNow().UtcTicks, last + 1);
            if (Interlocked.CompareExchange(ref _lastTicks, next, last) == last) return new DateTimeOffset(next, TimeSpan.Zero);
        }
    }
}
