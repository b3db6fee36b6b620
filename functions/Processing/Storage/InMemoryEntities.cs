using Azure.Data.Tables;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// What the in-memory tables accept and how values come back, as the SDK sees them come back from the service:
/// DateTime values as UTC <see cref="DateTimeOffset"/>, <see cref="BinaryData"/> as <see cref="byte"/>[], enums as
/// their names, null properties dropped (see <see cref="InMemoryRows"/> for how they are held).
/// </summary>
internal static class InMemoryEntities
{
    /// <summary>The entity of a transaction action; the in-memory tables hold <see cref="TableEntity"/> values only.</summary>
    public static TableEntity Require(ITableEntity entity) => entity as TableEntity
        ?? throw new ArgumentException($"In-memory tables store {nameof(TableEntity)} values, not {entity.GetType().Name}.", nameof(entity));

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
