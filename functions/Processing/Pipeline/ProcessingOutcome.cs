using System.Reflection;
using System.Text.Json;
using EventProcessors.Contracts;

namespace EventProcessors.Processing.Pipeline;

/// <summary>
/// What handling one event produced: the follow-on events to publish and the business records to
/// write. It is stored with the idempotency record, so a duplicate replays exactly the same outputs.
/// </summary>
public sealed record ProcessingOutcome(IReadOnlyList<CloudEvent> Events, IReadOnlyList<OutcomeRecord> Records)
{
    public static ProcessingOutcome Empty { get; } = new([], []);

    public bool IsEmpty => Events.Count == 0 && Records.Count == 0;
}

/// <summary>
/// One row for the SQL output binding (table <c>dbo.{Table}</c>) or, self-hosted, for the Table
/// Storage table of the same name. <paramref name="Row"/> is the row's JSON with property names
/// exactly as the SQL columns are named.
/// </summary>
public sealed record OutcomeRecord(string Table, JsonElement Row)
{
    /// <summary>Options that keep C# property names as they are, because they are the SQL column names.</summary>
    public static JsonSerializerOptions RowJson { get; } = CreateRowJson();

    public static OutcomeRecord From<TRow>(TRow row) where TRow : notnull =>
        new(SqlTableAttribute.NameOf(typeof(TRow)), JsonSerializer.SerializeToElement(row, RowJson));

    public TRow As<TRow>() => Row.Deserialize<TRow>(RowJson)
        ?? throw new InvalidOperationException($"Record of table {Table} is null.");

    private static JsonSerializerOptions CreateRowJson()
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = null, Encoder = ContractJson.Options.Encoder };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

/// <summary>Names the SQL table (schema <c>dbo</c>) a record type is written to.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class SqlTableAttribute(string name) : Attribute
{
    public string Name { get; } = name;

    /// <summary>The table of <paramref name="rowType"/>, read from its attribute once per type (every record written asks).</summary>
    public static string NameOf(Type rowType) => Names.GetOrAdd(rowType, static type =>
        type.GetCustomAttribute<SqlTableAttribute>()?.Name
        ?? throw new InvalidOperationException($"{type.Name} has no [SqlTable] attribute naming its table."));

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, string> Names = new();
}
