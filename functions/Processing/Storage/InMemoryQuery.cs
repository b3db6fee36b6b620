using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using System.Text;
using Azure.Data.Tables;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// A query filter of an in-memory table: the predicate, and the PartitionKey and RowKey bounds its top-level conjunctions imply
/// (<c>e.PartitionKey == pk</c>, <c>e.RowKey.CompareTo(from) &gt;= 0</c>, ...), so the table reads only the partitions and rows
/// that can match instead of every row. The compiled predicate is cached per filter shape: the values a lambda captures (and
/// its constants) become parameters, so <c>QueryPartitionAsync(pk)</c> compiles once, not once per call.
/// </summary>
internal sealed class InMemoryQuery
{
    // Filters come from code, so their shapes are few; past this many (expressions built at run time), each compiles per call.
    private const int MaxShapes = 1_000;

    private static readonly ConcurrentDictionary<string, Shape> Shapes = new(StringComparer.Ordinal);

    private readonly Shape _shape;
    private readonly object?[] _values;

    private InMemoryQuery(Shape shape, object?[] values)
    {
        _shape = shape;
        _values = values;
        foreach (var bound in shape.Bounds)
        {
            if (values[bound.Value] is not string key) continue;
            // CompareTo(key) op c bounds the key only against 0, which is how filters (and the SDK's OData) say it.
            if (bound.Zero >= 0 && values[bound.Zero] is not 0) continue;
            if (bound.RowKey) RowKeys = RowKeys.Tighten(bound.Operator, key);
            else PartitionKeys = PartitionKeys.Tighten(bound.Operator, key);
        }
    }

    public KeyBounds PartitionKeys { get; } = KeyBounds.All;

    public KeyBounds RowKeys { get; } = KeyBounds.All;

    public static InMemoryQuery? For(Expression<Func<TableEntity, bool>>? filter)
    {
        if (filter is null) return null;
        var reader = new ShapeReader(filter.Parameters[0]);
        reader.Visit(filter);
        var key = reader.Key;
        if (reader.Unsupported || !Shapes.TryGetValue(key, out var shape))
        {
            shape = Shape.Build(filter, reader.Values.Count, reader.IsValue);
            if (!reader.Unsupported && Shapes.Count < MaxShapes) Shapes.TryAdd(key, shape);
        }
        return new InMemoryQuery(shape, [.. reader.Values]);
    }

    /// <summary>
    /// The filter with the service's rules: strings compare ordinally, and a property that is missing or of another type matches
    /// nothing (the SDK's typed getters throw on those, and a throw is a non-match).
    /// </summary>
    public bool Matches(TableEntity entity)
    {
        try
        {
            return _shape.Predicate(entity, _values);
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidCastException or NullReferenceException)
        {
            return false;
        }
    }

    /// <summary>A bound one conjunction sets: key (RowKey or PartitionKey) operator the value at <see cref="Value"/> (compared with the 0 at <see cref="Zero"/>, if any).</summary>
    private readonly record struct Bound(bool RowKey, ExpressionType Operator, int Value, int Zero);

    /// <summary>One filter shape: its predicate over (entity, values) and the key bounds it can give.</summary>
    private sealed class Shape(Func<TableEntity, object?[], bool> predicate, IReadOnlyList<Bound> bounds)
    {
        public Func<TableEntity, object?[], bool> Predicate { get; } = predicate;
        public IReadOnlyList<Bound> Bounds { get; } = bounds;

        public static Shape Build(Expression<Func<TableEntity, bool>> filter, int valueCount, Func<Expression, bool> isValue)
        {
            var values = Expression.Parameter(typeof(object?[]), "values");
            var rewriter = new ValueRewriter(values, isValue);
            var body = rewriter.Visit(filter.Body)!;
            var lambda = Expression.Lambda<Func<TableEntity, object?[], bool>>(new OrdinalStrings().Visit(body)!, filter.Parameters[0], values);
            if (rewriter.Count != valueCount) throw new InvalidOperationException("The filter's values were not read in the order they were rewritten.");
            var bounds = new List<Bound>();
            Conjuncts(body, filter.Parameters[0], bounds);
            return new Shape(lambda.Compile(), bounds);
        }

        // Walks the top-level && and notes each comparison of a key with a value: those bound every match.
        private static void Conjuncts(Expression node, ParameterExpression entity, List<Bound> bounds)
        {
            if (node is not BinaryExpression binary) return;
            if (binary.NodeType == ExpressionType.AndAlso)
            {
                Conjuncts(binary.Left, entity, bounds);
                Conjuncts(binary.Right, entity, bounds);
                return;
            }
            if (binary.NodeType is not (ExpressionType.Equal or ExpressionType.GreaterThan or ExpressionType.GreaterThanOrEqual
                or ExpressionType.LessThan or ExpressionType.LessThanOrEqual)) return;
            if (binary.NodeType == ExpressionType.Equal && KeyOf(binary.Left, entity) is { } key && ValueIndex(binary.Right) is { } value)
                bounds.Add(new Bound(key, ExpressionType.Equal, value, -1));
            else if (binary.NodeType == ExpressionType.Equal && KeyOf(binary.Right, entity) is { } mirrored && ValueIndex(binary.Left) is { } left)
                bounds.Add(new Bound(mirrored, ExpressionType.Equal, left, -1));
            else if (binary.Left is MethodCallExpression call && ValueIndex(binary.Right) is { } zero && ComparedKey(call, entity) is var (compared, with))
                bounds.Add(new Bound(compared, binary.NodeType, with, zero));
        }

        // e.RowKey.CompareTo(value) or string.Compare(e.RowKey, value) (and PartitionKey): which key, and the value's index.
        private static (bool RowKey, int Value)? ComparedKey(MethodCallExpression call, ParameterExpression entity)
        {
            if (call.Method.DeclaringType != typeof(string) || call.Method.ReturnType != typeof(int)) return null;
            var (subject, other) = call.Method.Name switch
            {
                nameof(string.CompareTo) when call.Object is not null && call.Arguments.Count == 1 => (call.Object, call.Arguments[0]),
                nameof(string.Compare) when call.Object is null && call.Arguments.Count == 2 => (call.Arguments[0], call.Arguments[1]),
                _ => (null, null),
            };
            return subject is not null && KeyOf(subject, entity) is { } key && ValueIndex(other!) is { } value ? (key, value) : null;
        }

        private static bool? KeyOf(Expression node, ParameterExpression entity) =>
            node is MemberExpression { Member.Name: var name } member && member.Expression == entity
                ? name switch { nameof(TableEntity.RowKey) => true, nameof(TableEntity.PartitionKey) => false, _ => null }
                : null;

        // A rewritten value: Convert(values[i]).
        private static int? ValueIndex(Expression node) =>
            node is UnaryExpression { NodeType: ExpressionType.Convert, Operand: BinaryExpression { NodeType: ExpressionType.ArrayIndex, Right: ConstantExpression { Value: int index } } }
                ? index : null;
    }

    /// <summary>
    /// Reads a filter's shape (a key naming every node's kind, type and member, values left out) and its values: constants and
    /// what the lambda captures (fields and properties of constants), in visiting order.
    /// </summary>
    private sealed class ShapeReader(ParameterExpression entity) : ExpressionVisitor
    {
        private readonly StringBuilder _key = new();

        public List<object?> Values { get; } = [];
        public bool Unsupported { get; private set; }
        public string Key => _key.ToString();

        /// <summary>Whether a node is a value: a constant, or a field or property of one (or static), with no reference to the entity.</summary>
        public bool IsValue(Expression node) => node switch
        {
            ConstantExpression => true,
            MemberExpression { Member: FieldInfo or PropertyInfo } member => member.Expression is null || IsValue(member.Expression),
            _ => false,
        };

        public override Expression? Visit(Expression? node)
        {
            if (node is null)
            {
                _key.Append("null;");
                return null;
            }
            _key.Append((int)node.NodeType).Append(':').Append(node.Type.TypeHandle.Value).Append(';');
            if (IsValue(node))
            {
                Values.Add(Evaluate(node));
                _key.Append("$;");
                return node;
            }
            switch (node)
            {
                case ParameterExpression parameter:
                    _key.Append(parameter == entity ? "e;" : "p" + parameter.Name + ";");
                    break;
                case MemberExpression member:
                    _key.Append(member.Member.DeclaringType?.TypeHandle.Value).Append('.').Append(member.Member.Name).Append(';');
                    break;
                case MethodCallExpression call:
                    _key.Append(call.Method.MethodHandle.Value).Append(';');
                    break;
                case BinaryExpression binary:
                    _key.Append(binary.Method?.MethodHandle.Value).Append(binary.IsLiftedToNull).Append(';');
                    break;
                case UnaryExpression unary:
                    _key.Append(unary.Method?.MethodHandle.Value).Append(';');
                    break;
                case LambdaExpression lambda:
                    _key.Append(lambda.Parameters.Count).Append(';');
                    break;
                case ConditionalExpression:
                    break;
                default:
                    // Anything else (new, indexers, nested lambdas' closures...) is compiled per call, as the SDK would translate it.
                    Unsupported = true;
                    break;
            }
            return base.Visit(node);
        }

        private static object? Evaluate(Expression node) => node switch
        {
            ConstantExpression constant => constant.Value,
            MemberExpression { Member: FieldInfo field } member => field.GetValue(member.Expression is null ? null : Evaluate(member.Expression)),
            MemberExpression { Member: PropertyInfo property } member => property.GetValue(member.Expression is null ? null : Evaluate(member.Expression)),
            _ => throw new InvalidOperationException($"Not a value: {node}"),
        };
    }

    /// <summary>Replaces each value (in the order <see cref="ShapeReader"/> read them) with <c>(T)values[i]</c>.</summary>
    private sealed class ValueRewriter(ParameterExpression values, Func<Expression, bool> isValue) : ExpressionVisitor
    {
        public int Count { get; private set; }

        public override Expression? Visit(Expression? node) =>
            node is not null && isValue(node)
                ? Expression.Convert(Expression.ArrayIndex(values, Expression.Constant(Count++)), node.Type)
                : base.Visit(node);
    }

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

/// <summary>Bounds on a key (ordinal): a lower and an upper end, each inclusive or not; <see cref="Empty"/> when nothing can match.</summary>
internal readonly record struct KeyBounds(string? Lower, bool LowerInclusive, string? Upper, bool UpperInclusive, bool Empty)
{
    public static readonly KeyBounds All = default;

    /// <summary>These bounds and also <c>key op value</c>.</summary>
    public KeyBounds Tighten(ExpressionType op, string value) => op switch
    {
        ExpressionType.Equal => AtLeast(value, true).AtMost(value, true),
        ExpressionType.GreaterThan => AtLeast(value, false),
        ExpressionType.GreaterThanOrEqual => AtLeast(value, true),
        ExpressionType.LessThan => AtMost(value, false),
        ExpressionType.LessThanOrEqual => AtMost(value, true),
        _ => this,
    };

    private KeyBounds AtLeast(string value, bool inclusive)
    {
        var order = Lower is null ? 1 : string.CompareOrdinal(value, Lower);
        var raised = order > 0 || order == 0 && !inclusive ? this with { Lower = value, LowerInclusive = inclusive } : this;
        return raised.Checked();
    }

    private KeyBounds AtMost(string value, bool inclusive)
    {
        var order = Upper is null ? -1 : string.CompareOrdinal(value, Upper);
        var lowered = order < 0 || order == 0 && !inclusive ? this with { Upper = value, UpperInclusive = inclusive } : this;
        return lowered.Checked();
    }

    private KeyBounds Checked()
    {
        if (Lower is null || Upper is null) return this;
        var order = string.CompareOrdinal(Lower, Upper);
        return order > 0 || order == 0 && !(LowerInclusive && UpperInclusive) ? this with { Empty = true } : this;
    }
}
