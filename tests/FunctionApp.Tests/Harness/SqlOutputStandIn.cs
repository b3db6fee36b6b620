using System.Collections.Concurrent;
using System.Reflection;

namespace EventProcessors.FunctionApp.Tests.Harness;

/// <summary>
/// The SQL output binding, as a stand-in: no SQL Server can run here. It keeps each table of infra/sql/schema.sql
/// (parsed by ScriptDom) in memory and applies the rules of the real binding (functions-api.md section 4): all rows of one
/// invocation in one transaction, an upsert by primary key, every primary-key column present, a property the table does
/// not have refused with InvalidOperationException; names matched case-sensitively. <see cref="Fail"/> makes it throw as
/// an unreachable server does, after the function returned, which fails the invocation.
/// </summary>
public sealed class SqlOutputStandIn
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, IReadOnlyDictionary<string, object?>>> _tables = new(StringComparer.Ordinal);
    private readonly object _transaction = new();
    private readonly Dictionary<string, int> _writes = new(StringComparer.Ordinal);
    private int _failures;

    /// <summary>How many of the next invocations' writes fail (int.MaxValue: until <see cref="Recover"/>).</summary>
    public void Fail(int invocations = int.MaxValue) { lock (_transaction) _failures = invocations; }

    public void Recover() { lock (_transaction) _failures = 0; }

    /// <summary>How many invocations wrote rows to <paramref name="table"/> (an upsert of the same rows counts again).</summary>
    public int Writes(string table)
    {
        lock (_transaction) return _writes.GetValueOrDefault(table);
    }

    /// <summary>Rows of <paramref name="table"/> (e.g. <c>dbo.Orders</c>) by primary key.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, object?>> Rows(string table) =>
        _tables.TryGetValue(table, out var rows) ? rows : new Dictionary<string, IReadOnlyDictionary<string, object?>>();

    /// <summary>Writes the rows of every SqlOutput of one invocation, all or none.</summary>
    public void Apply(IEnumerable<(string Table, object Rows)> outputs)
    {
        var batch = outputs.SelectMany(o => ((System.Collections.IEnumerable)o.Rows).Cast<object>().Select(row => (o.Table, Row: Columns(row)))).ToList();
        if (batch.Count == 0) return;
        var staged = new List<(string Table, string Key, IReadOnlyDictionary<string, object?> Row)>();
        foreach (var (table, row) in batch)
        {
            var schema = SqlSchema.Tables.TryGetValue(table, out var t) ? t : throw new InvalidOperationException($"Invalid object name '{table}'.");
            foreach (var column in row.Keys)
                if (!schema.Columns.Any(c => c.Name == column))
                    throw new InvalidOperationException($"Column '{column}' does not exist in table '{table}'.");
            foreach (var key in schema.PrimaryKey)
                if (!row.ContainsKey(key) || row[key] is null)
                    throw new InvalidOperationException($"All primary keys for SQL table {table} need to be found in the input object. Missing: {key}");
            staged.Add((table, string.Join("|", schema.PrimaryKey.Select(k => row[k]?.ToString())), row));
        }
        lock (_transaction)
        {
            if (_failures > 0)
            {
                if (_failures != int.MaxValue) _failures--;
                throw new InvalidOperationException("A network-related or instance-specific error occurred while establishing a connection to SQL Server (stand-in failure).");
            }
            foreach (var (table, key, row) in staged)
                _tables.GetOrAdd(table, _ => new(StringComparer.Ordinal))[key] = row;
            foreach (var table in staged.Select(s => s.Table).Distinct())
                _writes[table] = _writes.GetValueOrDefault(table) + 1;
        }
    }

    private static Dictionary<string, object?> Columns(object row) =>
        row.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).ToDictionary(p => p.Name, p => p.GetValue(row), StringComparer.Ordinal);
}
