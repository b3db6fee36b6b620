using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.LocalHost.Records;

/// <summary>
/// Writes an outcome's business records where the Function App's SQL output bindings would: one Table Storage table
/// per SQL table, of the same name, upserted by primary key so that a replay changes nothing (see <see cref="RecordKeys"/>).
/// Every column becomes a property of the same name; decimals are kept as invariant text, so money never loses a digit.
/// </summary>
public sealed class RecordWriter(ITableServiceClient tables)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<ITableClient>>> _tables = new(StringComparer.Ordinal);

    public async Task WriteAsync(IReadOnlyList<OutcomeRecord> records, CancellationToken cancellationToken)
    {
        foreach (var record in records)
        {
            var table = await TableAsync(record.Table).ConfigureAwait(false);
            await table.UpsertEntityAsync(ToEntity(record), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Every row of <paramref name="table"/> (for the demo's summary and tests).</summary>
    public async Task<IReadOnlyList<TableEntity>> ReadAllAsync(string table, CancellationToken cancellationToken = default)
    {
        var client = await TableAsync(table).ConfigureAwait(false);
        var rows = new List<TableEntity>();
        await foreach (var entity in client.QueryAsync(cancellationToken: cancellationToken).ConfigureAwait(false)) rows.Add(entity);
        return rows;
    }

    public static TableEntity ToEntity(OutcomeRecord record)
    {
        var (partitionKey, rowKey) = RecordKeys.For(record);
        var entity = new TableEntity(partitionKey, rowKey);
        var types = RecordKeys.ColumnTypes(record.Table);
        foreach (var column in record.Row.EnumerateObject())
        {
            // A NULL column is no property, as Table Storage keeps no nulls. (Each Name is a new string: read it once.)
            var name = column.Name;
            if (ToProperty(column.Value, types?.GetValueOrDefault(name)) is { } value) entity[name] = value;
        }
        return entity;
    }

    private static object? ToProperty(JsonElement value, Type? type)
    {
        if (value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return null;
        if (type == typeof(int) && value.TryGetInt32(out var i)) return i;
        if (type == typeof(long) && value.TryGetInt64(out var l)) return l;
        if (type == typeof(double) && value.TryGetDouble(out var d)) return d;
        if (type == typeof(bool) && value.ValueKind is JsonValueKind.True or JsonValueKind.False) return value.GetBoolean();
        if (type == typeof(Guid) && value.TryGetGuid(out var g)) return g;
        if (type == typeof(DateTimeOffset) && value.TryGetDateTimeOffset(out var t)) return t;
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            // decimal (money, quantities) and unknown numbers: the exact digits, as text.
            // TryGetInt64 takes only an integer literal (not 5.0 nor 5e0), so the exact digits are kept for those.
            JsonValueKind.Number when type is null && value.TryGetInt64(out var whole) => whole,
            JsonValueKind.Number => value.GetRawText(),
            _ => value.GetRawText(),
        };
    }

    private Task<ITableClient> TableAsync(string name) => _tables.GetOrAdd(name, n => new Lazy<Task<ITableClient>>(async () =>
    {
        var client = tables.GetTableClient(n);
        await client.CreateIfNotExistsAsync().ConfigureAwait(false);
        return client;
    })).Value;
}

/// <summary>
/// The Table Storage keys of a business record, from its SQL primary key (read from <c>infra/sql/schema.sql</c>, embedded
/// at build time): PartitionKey = the first key column's value, RowKey = the other key columns' values joined by <c>|</c>
/// (for a one-column key, the same value again). A table schema.sql does not know is keyed by the record's first column.
/// Values are made storage-safe with <see cref="StorageKeys.Escape"/>; integers are zero-padded to 10 digits so rows sort
/// in key order (line 2 before line 10).
/// </summary>
public static partial class RecordKeys
{
    private static readonly Lazy<IReadOnlyDictionary<string, string[]>> PrimaryKeys = new(LoadPrimaryKeys);
    private static readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, Type>?> RecordTypes = new(StringComparer.Ordinal);

    public static (string PartitionKey, string RowKey) For(OutcomeRecord record)
    {
        var columns = KeyColumns(record.Table) ?? [FirstColumn(record)];
        var partitionKey = StorageKeys.Escape(KeyValue(record, columns[0]));
        if (columns.Length == 1) return (partitionKey, partitionKey);
        var rest = new string[columns.Length - 1];
        for (var i = 1; i < columns.Length; i++) rest[i - 1] = KeyValue(record, columns[i]);
        return (partitionKey, StorageKeys.Join(rest));
    }

    /// <summary>The primary key columns schema.sql declares for <paramref name="table"/>, or null if it does not know the table.</summary>
    public static string[]? KeyColumns(string table) => PrimaryKeys.Value.GetValueOrDefault(table);

    /// <summary>
    /// The CLR property types of <paramref name="table"/>'s record type (a <see cref="SqlTableAttribute"/> type in a loaded assembly),
    /// nullable ones as their underlying type (a NULL column is no property anyway).
    /// </summary>
    public static IReadOnlyDictionary<string, Type>? ColumnTypes(string table) => RecordTypes.GetOrAdd(table, FindRecordType);

    private static string FirstColumn(OutcomeRecord record) =>
        record.Row.ValueKind == JsonValueKind.Object && record.Row.EnumerateObject().FirstOrDefault() is { Name: { Length: > 0 } name }
            ? name
            : throw new InvalidOperationException($"A record of {record.Table} has no columns to key it by.");

    private static string KeyValue(OutcomeRecord record, string column)
    {
        if (!record.Row.TryGetProperty(column, out var value) || value.ValueKind is JsonValueKind.Null)
            throw new InvalidOperationException($"A record of {record.Table} lacks its key column {column}.");
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Number when value.TryGetInt64(out var n) && n >= 0 => n.ToString("D10", CultureInfo.InvariantCulture),
            _ => value.GetRawText(),
        };
    }

    private static IReadOnlyDictionary<string, string[]> LoadPrimaryKeys()
    {
        using var stream = typeof(RecordKeys).Assembly.GetManifestResourceStream("schema.sql");
        if (stream is null) return new Dictionary<string, string[]>();
        var sql = new StreamReader(stream).ReadToEnd();
        return ParsePrimaryKeys(sql);
    }

    internal static IReadOnlyDictionary<string, string[]> ParsePrimaryKeys(string sql)
    {
        var keys = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (Match table in CreateTable().Matches(sql))
        {
            var key = PrimaryKey().Match(table.Groups["body"].Value);
            if (key.Success)
                keys[table.Groups["table"].Value] = key.Groups["columns"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Select(c => c.Trim('[', ']')).ToArray();
        }
        return keys;
    }

    private static IReadOnlyDictionary<string, Type>? FindRecordType(string table)
    {
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies().Prepend(typeof(Consumers).Assembly))
        {
            if (assembly.IsDynamic || assembly.GetName().Name is not { } name || IsPlatform(name)) continue;
            Type[] types;
            try { types = assembly.GetTypes(); }
            catch (ReflectionTypeLoadException e) { types = e.Types.OfType<Type>().ToArray(); }
            foreach (var type in types)
                if (type.GetCustomAttribute<SqlTableAttribute>() is { } attribute && attribute.Name == table)
                    return type.GetProperties().ToDictionary(p => p.Name, p => Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType, StringComparer.Ordinal);
        }
        return null;
    }

    private static bool IsPlatform(string assembly) =>
        assembly.StartsWith("System", StringComparison.Ordinal) || assembly.StartsWith("Microsoft.", StringComparison.Ordinal)
        || assembly is "mscorlib" or "netstandard" || assembly.StartsWith("xunit", StringComparison.Ordinal);

    [GeneratedRegex(@"CREATE\s+TABLE\s+(?:\[?dbo\]?\.)\[?(?<table>\w+)\]?\s*\((?<body>.*?)\)\s*;", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex CreateTable();

    [GeneratedRegex(@"PRIMARY\s+KEY\s*(?:CLUSTERED\s*)?\((?<columns>[^)]*)\)", RegexOptions.IgnoreCase)]
    private static partial Regex PrimaryKey();
}
