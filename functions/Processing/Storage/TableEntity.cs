using Azure;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// One Table Storage entity: keys, concurrency tag and typed properties. Property values are one of
/// <see cref="string"/>, <see cref="int"/>, <see cref="long"/>, <see cref="double"/>, <see cref="bool"/>,
/// <see cref="DateTimeOffset"/>, <see cref="Guid"/> or <see cref="byte"/>[] (the EDM types of the service).
/// </summary>
public sealed class TableEntity
{
    private readonly Dictionary<string, object> _properties = new(StringComparer.Ordinal);

    public TableEntity(string partitionKey, string rowKey)
    {
        PartitionKey = partitionKey;
        RowKey = rowKey;
    }

    public string PartitionKey { get; set; }
    public string RowKey { get; set; }
    public ETag ETag { get; set; }
    public DateTimeOffset? Timestamp { get; set; }

    /// <summary>The custom properties (not the keys, ETag or Timestamp).</summary>
    public IReadOnlyDictionary<string, object> Properties => _properties;

    /// <summary>Gets or sets a property; setting <c>null</c> removes it.</summary>
    public object? this[string name]
    {
        get => _properties.GetValueOrDefault(name);
        set
        {
            if (value is null) { _properties.Remove(name); return; }
            _properties[name] = Normalise(name, value);
        }
    }

    public string? GetString(string name) => (string?)this[name];
    public int? GetInt32(string name) => this[name] switch { null => null, int i => i, long l => checked((int)l), var v => throw Mistyped(name, v, "Int32") };
    public long? GetInt64(string name) => this[name] switch { null => null, long l => l, int i => i, var v => throw Mistyped(name, v, "Int64") };
    public double? GetDouble(string name) => this[name] switch { null => null, double d => d, int i => i, long l => l, var v => throw Mistyped(name, v, "Double") };
    public bool? GetBoolean(string name) => (bool?)this[name];
    public DateTimeOffset? GetDateTimeOffset(string name) => (DateTimeOffset?)this[name];
    public Guid? GetGuid(string name) => (Guid?)this[name];
    public byte[]? GetBinary(string name) => (byte[]?)this[name];

    /// <summary>A copy that shares no mutable state with this entity.</summary>
    public TableEntity Clone()
    {
        var copy = new TableEntity(PartitionKey, RowKey) { ETag = ETag, Timestamp = Timestamp };
        foreach (var (k, v) in _properties) copy._properties[k] = v is byte[] b ? (byte[])b.Clone() : v;
        return copy;
    }

    private static object Normalise(string name, object value) => value switch
    {
        string or int or long or double or bool or Guid or byte[] => value,
        DateTimeOffset d => d.ToUniversalTime(),
        DateTime d => new DateTimeOffset(d.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(d, DateTimeKind.Utc) : d).ToUniversalTime(),
        Enum e => e.ToString(),
        _ => throw new ArgumentException($"Property '{name}' has type {value.GetType().Name}, which Table Storage cannot hold.", nameof(value)),
    };

    private static InvalidCastException Mistyped(string name, object value, string expected) =>
        new($"Property '{name}' holds {value.GetType().Name}, not {expected}.");
}
