using Azure.Data.Tables;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// What the in-memory tables accept and how values come back, as the SDK sees them come back from the service:
/// DateTime values as UTC <see cref="DateTimeOffset"/>, <see cref="BinaryData"/> as <see cref="byte"/>[], enums as
/// their names, null properties dropped (see <see cref="InMemoryRows"/> for how they are held).
/// </summary>
internal static class InMemoryEntities
{
    /// <summary>The entity of a transaction action; the in-memory tables hold <see cref="TableEntity"/> and <see cref="TableRow"/> values only.</summary>
    public static ITableEntity Require(ITableEntity entity) => entity is TableEntity or TableRow ? entity
        : throw new ArgumentException($"In-memory tables store {nameof(TableEntity)} and {nameof(TableRow)} values, not {entity.GetType().Name}.", nameof(entity));

    /// <summary>Every property of an entity <see cref="Require"/> accepts, system properties and null values included, and how many.</summary>
    public static IEnumerable<KeyValuePair<string, object>> Properties(ITableEntity entity, out int count)
    {
        if (entity is TableRow row)
        {
            count = row.Count;
            return row;
        }
        var dictionary = (TableEntity)entity;
        count = dictionary.Count;
        return dictionary;
    }

    /// <summary>A property value as the service gives it back; throws for types Table Storage cannot hold.</summary>
    public static object Normalise(string name, object value) => value switch
    {
        // Rows copy every value in, so a caller's array is not copied here as well.
        string or int or long or double or bool or Guid or byte[] => value,
        BinaryData data => data.ToArray(),
        DateTimeOffset { Offset.Ticks: 0 } => value,
        DateTimeOffset d => d.ToUniversalTime(),
        DateTime d => new DateTimeOffset(d.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(d, DateTimeKind.Utc) : d).ToUniversalTime(),
        Enum e => e.ToString(),
        _ => throw new ArgumentException($"Property '{name}' has type {value.GetType().Name}, which Table Storage cannot hold.", nameof(value)),
    };
}
