using EventProcessors.TestSupport;
using Microsoft.SqlServer.TransactSql.ScriptDom;

namespace EventProcessors.FunctionApp.Tests.Harness;

public sealed record SqlColumn(string Name, string Type, bool Nullable);

public sealed record SqlTable(string Name, IReadOnlyList<SqlColumn> Columns, IReadOnlyList<string> PrimaryKey);

/// <summary>infra/sql/schema.sql parsed as T-SQL by ScriptDom (SQL Server 2022 grammar): its tables, columns and primary keys.</summary>
public static class SqlSchema
{
    public static IReadOnlyDictionary<string, SqlTable> Tables { get; } = Parse(RepositoryFiles.Read("infra/sql/schema.sql"));

    private static Dictionary<string, SqlTable> Parse(string script)
    {
        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        using var reader = new StringReader(script);
        var fragment = parser.Parse(reader, out var errors);
        if (errors.Count > 0)
            throw new InvalidOperationException("schema.sql: " + string.Join("; ", errors.Select(e => $"line {e.Line}: {e.Message}")));
        var tables = new Dictionary<string, SqlTable>(StringComparer.Ordinal);
        foreach (var create in ((TSqlScript)fragment).Batches.SelectMany(b => b.Statements).OfType<CreateTableStatement>())
        {
            var name = $"{create.SchemaObjectName.SchemaIdentifier?.Value ?? "dbo"}.{create.SchemaObjectName.BaseIdentifier.Value}";
            var definition = create.Definition;
            var columns = definition.ColumnDefinitions.Select(c => new SqlColumn(
                c.ColumnIdentifier.Value,
                ((SqlDataTypeReference)c.DataType).SqlDataTypeOption.ToString().ToLowerInvariant(),
                !c.Constraints.OfType<NullableConstraintDefinition>().Any(n => !n.Nullable))).ToList();
            var keys = definition.TableConstraints.OfType<UniqueConstraintDefinition>().Where(u => u.IsPrimaryKey)
                .Concat(definition.ColumnDefinitions.SelectMany(c => c.Constraints.OfType<UniqueConstraintDefinition>().Where(u => u.IsPrimaryKey)))
                .ToArray();
            if (keys.Length > 1) throw new InvalidOperationException($"{name} declares more than one primary key");
            var primaryKey = keys.Length == 0 ? [] : keys[0].Columns.Count > 0
                ? keys[0].Columns.Select(c => c.Column.MultiPartIdentifier.Identifiers[^1].Value).ToList()
                : definition.ColumnDefinitions.Where(c => c.Constraints.Contains(keys[0])).Select(c => c.ColumnIdentifier.Value).ToList();
            if (!tables.TryAdd(name, new SqlTable(name, columns, primaryKey))) throw new InvalidOperationException($"{name} is created twice");
        }
        return tables;
    }
}
