using System.Globalization;

namespace EventProcessors.Processing.Storage;

/// <summary>A query: an optional filter, a page size (the service caps it at 1,000) and an optional projection.</summary>
public sealed record TableQuery(TableFilter? Filter = null, int? PageSize = null, IReadOnlyList<string>? Select = null)
{
    public const int MaxPageSize = 1000;

    public static TableQuery Partition(string partitionKey, int? pageSize = null) =>
        new(TableFilter.Equal("PartitionKey", partitionKey), pageSize);
}

public enum TableComparison { Equal, NotEqual, LessThan, LessThanOrEqual, GreaterThan, GreaterThanOrEqual }

/// <summary>
/// A structured filter, rendered as OData for the REST service and evaluated directly in memory,
/// so both table implementations answer a query identically.
/// </summary>
public abstract record TableFilter
{
    public static TableFilter Equal(string property, object value) => new Compare(property, TableComparison.Equal, value);
    public static TableFilter NotEqual(string property, object value) => new Compare(property, TableComparison.NotEqual, value);
    public static TableFilter LessThan(string property, object value) => new Compare(property, TableComparison.LessThan, value);
    public static TableFilter LessThanOrEqual(string property, object value) => new Compare(property, TableComparison.LessThanOrEqual, value);
    public static TableFilter GreaterThan(string property, object value) => new Compare(property, TableComparison.GreaterThan, value);
    public static TableFilter GreaterThanOrEqual(string property, object value) => new Compare(property, TableComparison.GreaterThanOrEqual, value);

    /// <summary>Row keys (or any string property) starting with <paramref name="prefix"/>: a range scan.</summary>
    public static TableFilter StartsWith(string property, string prefix) =>
        GreaterThanOrEqual(property, prefix) & LessThan(property, prefix + '\uffff');

    public static TableFilter operator &(TableFilter left, TableFilter right) => new And(left, right);
    public static TableFilter operator |(TableFilter left, TableFilter right) => new Or(left, right);

    /// <summary>The OData <c>$filter</c> text.</summary>
    public abstract string ToOData();

    /// <summary>Whether <paramref name="entity"/> satisfies the filter (Table service comparison rules).</summary>
    public abstract bool Matches(TableEntity entity);

    public sealed record Compare(string Property, TableComparison Comparison, object Value) : TableFilter
    {
        public override string ToOData() => $"{Property} {Operator(Comparison)} {Literal(Value)}";

        public override bool Matches(TableEntity entity)
        {
            var actual = Property switch
            {
                "PartitionKey" => entity.PartitionKey,
                "RowKey" => entity.RowKey,
                "Timestamp" => entity.Timestamp,
                _ => entity[Property],
            };
            // As in the service: a missing property, or one of another type, matches nothing.
            if (actual is null || !TryCompare(actual, Value, out var order)) return false;
            return Comparison switch
            {
                TableComparison.Equal => order == 0,
                TableComparison.NotEqual => order != 0,
                TableComparison.LessThan => order < 0,
                TableComparison.LessThanOrEqual => order <= 0,
                TableComparison.GreaterThan => order > 0,
                _ => order >= 0,
            };
        }

        private static bool TryCompare(object actual, object expected, out int order)
        {
            (order, var ok) = (actual, expected) switch
            {
                (string a, string b) => (string.CompareOrdinal(a, b), true),
                (bool a, bool b) => (a.CompareTo(b), true),
                (DateTimeOffset a, DateTimeOffset b) => (a.CompareTo(b), true),
                (Guid a, Guid b) => (a.CompareTo(b), true),
                (int or long, int or long) => (Convert.ToInt64(actual).CompareTo(Convert.ToInt64(expected)), true),
                (double a, double or int or long) => (a.CompareTo(Convert.ToDouble(expected)), true),
                (int or long, double b) => (Convert.ToDouble(actual).CompareTo(b), true),
                _ => (0, false),
            };
            return ok;
        }

        private static string Operator(TableComparison c) => c switch
        {
            TableComparison.Equal => "eq",
            TableComparison.NotEqual => "ne",
            TableComparison.LessThan => "lt",
            TableComparison.LessThanOrEqual => "le",
            TableComparison.GreaterThan => "gt",
            _ => "ge",
        };

        private static string Literal(object value) => value switch
        {
            string s => $"'{s.Replace("'", "''", StringComparison.Ordinal)}'",
            bool b => b ? "true" : "false",
            int i => i.ToString(CultureInfo.InvariantCulture),
            long l => l.ToString(CultureInfo.InvariantCulture) + "L",
            double d => d.ToString("R", CultureInfo.InvariantCulture) is var r && r.Contains('.') ? r : r + ".0",
            DateTimeOffset d => $"datetime'{d.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffffffZ}'",
            DateTime d => $"datetime'{d.ToUniversalTime():yyyy-MM-ddTHH:mm:ss.fffffffZ}'",
            Guid g => $"guid'{g}'",
            _ => throw new ArgumentException($"A filter cannot compare with a {value.GetType().Name}."),
        };
    }

    public sealed record And(TableFilter Left, TableFilter Right) : TableFilter
    {
        public override string ToOData() => $"({Left.ToOData()}) and ({Right.ToOData()})";
        public override bool Matches(TableEntity entity) => Left.Matches(entity) && Right.Matches(entity);
    }

    public sealed record Or(TableFilter Left, TableFilter Right) : TableFilter
    {
        public override string ToOData() => $"({Left.ToOData()}) or ({Right.ToOData()})";
        public override bool Matches(TableEntity entity) => Left.Matches(entity) || Right.Matches(entity);
    }
}
