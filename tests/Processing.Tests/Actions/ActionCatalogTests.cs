using System.Text.RegularExpressions;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Hosting;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EventProcessors.Processing.Tests.Actions;

/// <summary>The whole set of actions against flows.md, and every record type against infra/sql/schema.sql.</summary>
public sealed partial class ActionCatalogTests
{
    [Fact]
    public void Every_action_is_a_row_of_flows_md_with_its_queue_and_known_types()
    {
        var flows = File.ReadAllText(Path.Combine(SeedDocuments.Directory, "..", "reference", "flows.md"));
        var rows = FlowRow().Matches(flows)
            .Select(m => (Name: m.Groups["name"].Value, Queue: m.Groups["queue"].Value))
            .Where(r => r.Name is not ("RouteOutbox" or "SweepIdempotencyRecords"))
            .ToDictionary(r => r.Name, r => r.Queue);
        using var provider = Services();
        var actions = provider.GetServices<IConsumerAction>().ToArray();

        Assert.Equal(21, rows.Count);
        Assert.Equal(rows.Keys.Order(), Consumers.All.Select(c => c.Name).Order());
        Assert.All(Consumers.All, c => Assert.Equal(rows[c.Name], c.Queue));
        Assert.Equal(Consumers.All.Select(c => c.Name).Order(), actions.Select(a => a.Definition.Name).Order());
        foreach (var action in actions)
        {
            Assert.Equal(action.Definition.Name, action.GetType().Name);
            Assert.Same(Consumers.All.Single(c => c.Name == action.Definition.Name), action.Definition);
            Assert.All(action.Definition.Consumes, type => Assert.True(EventCatalog.IsKnown(type), $"{action.Definition.Name} consumes unknown {type}"));
        }
    }

    [Fact]
    public void Every_action_consumes_and_emits_exactly_the_types_of_its_flows_md_row()
    {
        var flows = File.ReadAllText(Path.Combine(SeedDocuments.Directory, "..", "reference", "flows.md"));
        var rows = FlowColumns().Matches(flows).ToDictionary(m => m.Groups["name"].Value, m => m);

        foreach (var consumer in Consumers.All)
        {
            var row = rows[consumer.Name];
            Assert.Equal(TypesIn(row.Groups["consumes"].Value), consumer.Consumes.Order(StringComparer.Ordinal));
            Assert.Equal(TypesIn(row.Groups["emits"].Value), consumer.Emits.Order(StringComparer.Ordinal));
            Assert.All(consumer.Emits, type => Assert.True(EventCatalog.IsKnown(type), $"{consumer.Name} emits unknown {type}"));
        }
    }

    [Fact]
    public void Every_record_type_is_written_by_some_action_and_every_declared_write_is_a_record_type()
    {
        var recordTypes = typeof(Consumers).Assembly.GetTypes()
            .Where(t => t.GetCustomAttributes(typeof(SqlTableAttribute), false).Length > 0).ToHashSet();
        // dbo.Events is written by the event store's audit functions, which are no action.
        var written = Consumers.All.SelectMany(c => c.Writes).Append(typeof(Processing.EventStore.EventRow)).ToHashSet();

        Assert.Equal(recordTypes.Select(t => t.Name).Order(), written.Select(t => t.Name).Order());
    }

    /// <summary>The event types a flows.md cell names (<c>stock.reserved (new), stock.low</c>); "-" names none.</summary>
    private static string[] TypesIn(string cell) => EventTypeName().Matches(cell).Select(m => m.Value).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Every_record_type_matches_its_table_in_schema_sql_exactly()
    {
        var tables = CreateTable().Matches(RepositoryFiles.Read("infra/sql/schema.sql")).ToDictionary(
            m => m.Groups["table"].Value,
            m => m.Groups["body"].Value);
        var recordTypes = typeof(Consumers).Assembly.GetTypes()
            .Where(t => t.GetCustomAttributes(typeof(SqlTableAttribute), false).Length > 0).ToArray();

        Assert.NotEmpty(recordTypes);
        foreach (var type in recordTypes)
        {
            var table = SqlTableAttribute.NameOf(type);
            Assert.True(tables.TryGetValue(table, out var body), $"schema.sql has no CREATE TABLE dbo.{table} for {type.Name}");
            var columns = Column().Matches(body).Select(m => m.Groups["column"].Value)
                .Where(c => !c.Equals("CONSTRAINT", StringComparison.OrdinalIgnoreCase) && !c.Equals("PRIMARY", StringComparison.OrdinalIgnoreCase))
                .ToArray();
            var properties = type.GetProperties().Select(p => p.Name).ToArray();
            Assert.Equal(properties.Order(StringComparer.Ordinal), columns.Order(StringComparer.Ordinal));
            var primaryKey = PrimaryKey().Match(body);
            Assert.True(primaryKey.Success, $"dbo.{table} has no primary key");
            Assert.All(primaryKey.Groups["columns"].Value.Split(',', StringSplitOptions.TrimEntries),
                pk => Assert.Contains(pk.Trim('[', ']'), properties));
            Assert.All(type.GetProperties(), p => Assert.True(IsSqlScalar(p.PropertyType), $"{type.Name}.{p.Name} is not a SQL column type"));
        }
    }

    private static bool IsSqlScalar(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t == typeof(string) || t == typeof(decimal) || t == typeof(int) || t == typeof(long) || t == typeof(bool)
            || t == typeof(DateTimeOffset) || t == typeof(DateOnly) || t == typeof(Guid) || t == typeof(double);
    }

    private static ServiceProvider Services() => new ServiceCollection()
        .AddLogging()
        .AddEventProcessing(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [SettingNames.TableStorage] = TableServiceClientFactory.InMemoryConnectionString,
        }).Build())
        .BuildServiceProvider();

    [GeneratedRegex(@"^\|\s*(?<name>[A-Z][A-Za-z]+)\s*\|\s*(?<queue>[a-z][a-z.\-]+)\s*\|", RegexOptions.Multiline)]
    private static partial Regex FlowRow();

    [GeneratedRegex(@"^\|\s*(?<name>[A-Z][A-Za-z]+)\s*\|\s*(?<queue>[a-z][a-z.\-]+)\s*\|(?<consumes>[^|]*)\|(?<does>[^|]*)\|(?<emits>[^|]*)\|", RegexOptions.Multiline)]
    private static partial Regex FlowColumns();

    [GeneratedRegex(@"\b[a-z][a-z\-]*(?:\.[a-z][a-z\-]*)+\b")]
    private static partial Regex EventTypeName();

    [GeneratedRegex(@"CREATE\s+TABLE\s+(?:\[?dbo\]?\.)\[?(?<table>\w+)\]?\s*\((?<body>.*?)\)\s*;", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex CreateTable();

    [GeneratedRegex(@"^\s*\[?(?<column>[A-Za-z_]\w*)\]?\s+", RegexOptions.Multiline)]
    private static partial Regex Column();

    [GeneratedRegex(@"PRIMARY\s+KEY\s*(?:CLUSTERED\s*)?\((?<columns>[^)]*)\)", RegexOptions.IgnoreCase)]
    private static partial Regex PrimaryKey();
}
