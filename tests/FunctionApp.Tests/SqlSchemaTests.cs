using System.Reflection;
using EventProcessors.FunctionApp.Hosting;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

using EventProcessors.FunctionApp.Tests.Harness;

namespace EventProcessors.FunctionApp.Tests;

/// <summary>
/// infra/sql/schema.sql parsed as T-SQL (ScriptDom, SQL Server 2022 grammar), against every <c>[SqlOutput]</c> of the
/// Function App: the SQL extension upserts by primary key, matches property and column names case-sensitively, needs
/// every primary-key column and refuses a property the table does not have (functions-api.md section 4).
/// </summary>
public sealed class SqlSchemaTests
{
    private static readonly IReadOnlyDictionary<string, SqlTable> Tables = SqlSchema.Tables;

    public static TheoryData<string, string, Type> SqlOutputs()
    {
        var data = new TheoryData<string, string, Type>();
        foreach (var property in typeof(FunctionRunner).Assembly.GetTypes().SelectMany(t => t.GetProperties()))
            if (property.GetCustomAttribute<SqlOutputAttribute>() is { } output)
                data.Add(property.DeclaringType!.Name + "." + property.Name, output.CommandText, property.PropertyType.GetElementType() ?? property.PropertyType);
        return data;
    }

    [Fact]
    public void The_script_parses_without_errors_and_every_table_has_a_primary_key()
    {
        Assert.Equal(21, Tables.Count);
        Assert.All(Tables.Values, t => Assert.NotEmpty(t.PrimaryKey));
        Assert.Equal(SqlOutputs().Select(row => (string)row[1]).Distinct().Order(StringComparer.Ordinal), Tables.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(SqlOutputs))]
    public void Each_SqlOutput_binds_a_record_whose_properties_are_exactly_its_tables_columns(string output, string table, Type row)
    {
        Assert.True(Tables.TryGetValue(table, out var schema), $"{output}: schema.sql has no table {table}");
        var properties = row.GetProperties(BindingFlags.Public | BindingFlags.Instance);
        Assert.Equal(schema!.Columns.Select(c => c.Name).Order(StringComparer.Ordinal), properties.Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.All(schema.PrimaryKey, key => Assert.Contains(key, properties.Select(p => p.Name)));
        var nullability = new NullabilityInfoContext();
        foreach (var column in schema.Columns)
        {
            var property = properties.Single(p => p.Name == column.Name);
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            Assert.True(SqlTypeOf(type) == column.Type, $"{row.Name}.{property.Name} is {type.Name}, the column {table}.{column.Name} is {column.Type}");
            var nullable = nullability.Create(property).ReadState == NullabilityState.Nullable;
            Assert.True(nullable == column.Nullable, $"{row.Name}.{property.Name} nullable={nullable}, column NULL={column.Nullable}");
            Assert.False(column.Nullable && schema.PrimaryKey.Contains(column.Name), $"primary key column {table}.{column.Name} is NULL");
        }
    }

    private static string SqlTypeOf(Type type) => type switch
    {
        _ when type == typeof(string) => "nvarchar",
        _ when type == typeof(decimal) => "decimal",
        _ when type == typeof(int) => "int",
        _ when type == typeof(long) => "bigint",
        _ when type == typeof(bool) => "bit",
        _ when type == typeof(DateTimeOffset) => "datetimeoffset",
        _ when type == typeof(DateOnly) => "date",
        _ when type == typeof(Guid) => "uniqueidentifier",
        _ => "(no SQL type for " + type.Name + ")",
    };
}
