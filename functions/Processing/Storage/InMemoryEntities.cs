using System.Linq.Expressions;
using System.Reflection;
using Azure.Data.Tables;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// How the in-memory tables store and return entities and evaluate filters, as the SDK sees them come back from the
/// service: DateTime values as UTC <see cref="DateTimeOffset"/>, <see cref="BinaryData"/> as <see cref="byte"/>[],
/// enums as their names, null properties dropped; string comparisons ordinal.
/// </summary>
internal static class InMemoryEntities
{
    /// <summary>The entity of a transaction action; the in-memory tables hold <see cref="TableEntity"/> values only.</summary>
    public static TableEntity Require(ITableEntity entity) => entity as TableEntity
        ?? throw new ArgumentException($"In-memory tables store {nameof(TableEntity)} values, not {entity.GetType().Name}.", nameof(entity));

    /// <summary>A copy sharing no mutable state, with normalised values; only the <paramref name="select"/>ed properties if given.</summary>
    public static TableEntity Copy(TableEntity entity, IReadOnlyList<string>? select = null)
    {
        var copy = new TableEntity(entity.PartitionKey, entity.RowKey) { ETag = entity.ETag, Timestamp = entity.Timestamp };
        foreach (var (name, value) in entity.Properties())
        {
            if (select is null || select.Contains(name, StringComparer.Ordinal)) copy[name] = Normalise(name, value);
        }
        return copy;
    }

    /// <summary>
    /// <paramref name="stored"/> with <paramref name="changes"/>' properties laid over it. The stored values are already
    /// normalised private copies (they never leave the table uncopied), so they are shared rather than copied again.
    /// </summary>
    public static TableEntity Merge(TableEntity stored, TableEntity changes)
    {
        var merged = new TableEntity(stored.PartitionKey, stored.RowKey);
        foreach (var (name, value) in stored.Properties()) merged[name] = value;
        foreach (var (name, value) in changes.Properties()) merged[name] = Normalise(name, value);
        return merged;
    }

    /// <summary>
    /// The filter as a predicate with the service's rules: strings compare ordinally, and a property that is missing
    /// or of another type matches nothing (the SDK's typed getters throw on those, and a throw is a non-match).
    /// </summary>
    public static Func<TableEntity, bool>? Compile(Expression<Func<TableEntity, bool>>? filter)
    {
        if (filter is null) return null;
        var predicate = ((Expression<Func<TableEntity, bool>>)new OrdinalStrings().Visit(filter)).Compile();
        return entity =>
        {
            try
            {
                return predicate(entity);
            }
            catch (Exception e) when (e is InvalidOperationException or InvalidCastException or NullReferenceException)
            {
                return false;
            }
        };
    }

    private static object Normalise(string name, object value) => value switch
    {
        string or int or long or double or bool or Guid => value,
        byte[] bytes => bytes.Clone(),
        BinaryData data => data.ToArray(),
        DateTimeOffset { Offset.Ticks: 0 } => value,
        DateTimeOffset d => d.ToUniversalTime(),
        DateTime d => new DateTimeOffset(d.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(d, DateTimeKind.Utc) : d).ToUniversalTime(),
        Enum e => e.ToString(),
        _ => throw new ArgumentException($"Property '{name}' has type {value.GetType().Name}, which Table Storage cannot hold.", nameof(value)),
    };

    // string.CompareTo and string.Compare are culture-sensitive in .NET; the service orders strings ordinally.
    private sealed class OrdinalStrings : ExpressionVisitor
    {
        private static readonly MethodInfo Ordinal = typeof(OrdinalStrings).GetMethod(nameof(CompareOrdinal), BindingFlags.NonPublic | BindingFlags.Static)!;

        protected override Expression VisitMethodCall(MethodCallExpression node)
        {
            if (node.Method.DeclaringType == typeof(string) && node.Method.ReturnType == typeof(int))
            {
                if (node.Method.Name == nameof(string.CompareTo) && node.Object is not null && node.Arguments.Count == 1 && node.Arguments[0].Type == typeof(string))
                    return Expression.Call(Ordinal, Visit(node.Object), Visit(node.Arguments[0]));
                if (node.Method.Name == nameof(string.Compare) && node.Object is null && node.Arguments.Count == 2)
                    return Expression.Call(Ordinal, Visit(node.Arguments[0]), Visit(node.Arguments[1]));
            }
            return base.VisitMethodCall(node);
        }

        // A missing string property compares with nothing.
        private static int CompareOrdinal(string? left, string? right) =>
            left is null || right is null ? throw new NullReferenceException() : string.CompareOrdinal(left, right);
    }
}
