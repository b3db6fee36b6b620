using System.Collections;
using Azure;
using Azure.Data.Tables;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// An entity for a transaction action, lighter than <see cref="TableEntity"/>: its properties in an array rather than a
/// dictionary, for what a store writes on every event. <see cref="InMemoryTableClient"/> stores it as it would the
/// <see cref="TableEntity"/> of the same properties; <see cref="AzureTableClient"/> hands the SDK exactly that
/// <see cref="TableEntity"/>, so the service gets the same request. Setting a name again replaces its value; null values are
/// not written, as for a <see cref="TableEntity"/>.
/// </summary>
/// <param name="capacity">How many properties it will hold (it grows past that).</param>
public sealed class TableRow(string partitionKey, string rowKey, int capacity = 8) : ITableEntity, IReadOnlyCollection<KeyValuePair<string, object>>
{
    private KeyValuePair<string, object>[] _properties = new KeyValuePair<string, object>[Math.Max(1, capacity)];
    private int _count;

    public string PartitionKey { get; set; } = partitionKey;

    public string RowKey { get; set; } = rowKey;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public int Count => _count;

    public object? this[string name]
    {
        get => IndexOf(name) is var at and >= 0 ? _properties[at].Value : null;
        set
        {
            var at = IndexOf(name);
            if (at < 0)
            {
                if (_count == _properties.Length) Array.Resize(ref _properties, 2 * _count);
                at = _count++;
            }
            _properties[at] = new(name, value!);
        }
    }

    /// <summary>The <see cref="TableEntity"/> of the same keys and properties, for the SDK.</summary>
    public TableEntity ToTableEntity()
    {
        var entity = new TableEntity(PartitionKey, RowKey) { ETag = ETag };
        for (var i = 0; i < _count; i++) entity[_properties[i].Key] = _properties[i].Value;
        return entity;
    }

    public IEnumerator<KeyValuePair<string, object>> GetEnumerator()
    {
        for (var i = 0; i < _count; i++) yield return _properties[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOf(string name)
    {
        for (var i = 0; i < _count; i++)
        {
            if (string.Equals(_properties[i].Key, name, StringComparison.Ordinal)) return i;
        }
        return -1;
    }
}
