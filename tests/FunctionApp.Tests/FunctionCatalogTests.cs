using System.Reflection;
using System.Text.RegularExpressions;
using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;
using EventProcessors.TestSupport;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Tests;

/// <summary>The functions of the assembly, by reflection, against flows.md: what the worker's indexer would find.</summary>
public sealed partial class FunctionCatalogTests
{
    private static readonly IReadOnlyDictionary<string, MethodInfo> Functions = typeof(FunctionRunner).Assembly.GetTypes()
        .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
        .Where(m => m.GetCustomAttribute<FunctionAttribute>() is not null)
        .ToDictionary(m => m.GetCustomAttribute<FunctionAttribute>()!.Name);

    private static (string Section, string Name, string Queue)[] FlowRows()
    {
        var flows = File.ReadAllText(Path.Combine(SeedDocuments.Directory, "..", "reference", "flows.md"));
        var rows = new List<(string, string, string)>();
        var section = "";
        foreach (var line in flows.Split('\n'))
        {
            if (line.StartsWith("## ", StringComparison.Ordinal)) section = line[3..].Split(':')[0].Trim();
            var row = FlowRow().Match(line);
            if (row.Success) rows.Add((section, row.Groups["name"].Value, row.Groups["queue"].Value));
        }
        return [.. rows];
    }

    [Fact]
    public void Exactly_one_function_per_flows_md_row_and_no_other()
    {
        var rows = FlowRows();

        Assert.Equal(23, rows.Length);
        // The event store's audit functions (AuditFunctionTests) are no flow of flows.md.
        Assert.Equal(rows.Select(r => r.Name).Order(StringComparer.Ordinal), Functions.Keys.Where(k => !AuditFunctionTests.Names.Contains(k)).Order(StringComparer.Ordinal));
        var methods = typeof(FunctionRunner).Assembly.GetTypes().SelectMany(t => t.GetMethods())
            .Count(m => m.GetCustomAttribute<FunctionAttribute>() is not null);
        Assert.Equal(rows.Length + AuditFunctionTests.Names.Length, methods);
    }

    [Fact]
    public void Collector_functions_trigger_on_their_queue_and_write_outbox_dead_letter_and_rows()
    {
        var rows = FlowRows().Where(r => r.Section == "Collector" && r.Name != "RouteOutbox").ToArray();
        Assert.Equal(13, rows.Length);
        foreach (var (_, name, queue) in rows)
        {
            var method = Functions[name];
            Assert.Equal(queue, Consumers.All.Single(c => c.Name == name).Queue);
            var trigger = TriggerOf<RabbitMQTriggerAttribute>(method, typeof(string));
            Assert.Equal(queue, trigger.QueueName);
            Assert.Equal("RabbitMQConnection", trigger.ConnectionStringSetting);
            Assert.Empty(method.GetCustomAttributes<RetryAttribute>());

            // Follow-ons, retries and dead letters are published by the function with confirms; only rows are output bindings.
            var outputs = OutputsOf(method);
            Assert.All(outputs.Values, o => Assert.IsType<SqlOutputAttribute>(o.Attribute));
            AssertSqlOutputs(name, outputs, except: []);
        }
    }

    [Fact]
    public void MES_functions_bind_a_KafkaRecord_of_mes_events_with_their_consumer_group_and_function_level_retry()
    {
        var rows = FlowRows().Where(r => r.Section.StartsWith("MES", StringComparison.Ordinal)).ToArray();
        Assert.Equal(8, rows.Length);
        foreach (var (_, name, group) in rows)
        {
            var method = Functions[name];
            Assert.Equal(group, Consumers.All.Single(c => c.Name == name).Queue);
            var trigger = TriggerOf<KafkaTriggerAttribute>(method, typeof(KafkaRecord));
            Assert.Equal(("KafkaBrokers", "mes-events", group), (trigger.BrokerList, trigger.Topic, trigger.ConsumerGroup));
            Assert.False(trigger.IsBatched);
            var retry = Assert.IsType<ExponentialBackoffRetryAttribute>(Assert.Single(method.GetCustomAttributes<RetryAttribute>()));
            Assert.Equal((8, "00:00:02", "00:01:00"), (retry.MaxRetryCount, retry.MinimumInterval, retry.MaximumInterval));
            Assert.NotNull(typeof(KafkaTriggerAttribute).GetCustomAttribute<BindingCapabilitiesAttribute>());

            var outputs = OutputsOf(method);
            var events = Assert.IsType<KafkaOutputAttribute>(outputs["Events"].Attribute);
            Assert.Equal(("KafkaBrokers", "mes-events"), (events.BrokerList, events.Topic));
            Assert.Equal(typeof(string[]), outputs["Events"].Type);
            var deadLetter = Assert.IsType<KafkaOutputAttribute>(outputs["DeadLetter"].Attribute);
            Assert.Equal(("KafkaBrokers", "mes-events.dead-letter"), (deadLetter.BrokerList, deadLetter.Topic));
            Assert.Equal(typeof(string), outputs["DeadLetter"].Type);
            AssertSqlOutputs(name, outputs, except: ["Events", "DeadLetter"]);
        }
    }

    [Fact]
    public void RouteOutbox_triggers_on_the_outbox_queue_and_has_no_output_binding()
    {
        var method = Functions["RouteOutbox"];

        var trigger = TriggerOf<RabbitMQTriggerAttribute>(method, typeof(string));
        Assert.Equal(("collector-events.outbox", "RabbitMQConnection"), (trigger.QueueName, trigger.ConnectionStringSetting));
        Assert.Equal(typeof(Task), method.ReturnType);
    }

    [Fact]
    public void SweepIdempotencyRecords_runs_on_an_hourly_timer()
    {
        var method = Functions["SweepIdempotencyRecords"];

        var trigger = TriggerOf<TimerTriggerAttribute>(method, typeof(TimerInfo));
        Assert.Equal("0 0 * * * *", trigger.Schedule);
        Assert.Equal(typeof(Task), method.ReturnType);
        Assert.Empty(method.GetCustomAttributes<OutputBindingAttribute>());
    }

    [Fact]
    public void Every_SQL_table_a_record_type_names_has_its_output_on_some_function()
    {
        var tables = typeof(Consumers).Assembly.GetTypes()
            .Where(t => t.GetCustomAttribute<SqlTableAttribute>() is not null)
            .Select(t => "dbo." + SqlTableAttribute.NameOf(t)).ToHashSet();
        var bound = Functions.Values.SelectMany(m => OutputsOf(m).Values).Select(o => o.Attribute).OfType<SqlOutputAttribute>()
            .Select(a => a.CommandText).ToHashSet();

        Assert.Empty(tables.Except(bound));
    }

    private static T TriggerOf<T>(MethodInfo method, Type parameterType) where T : TriggerBindingAttribute
    {
        var triggers = method.GetParameters().Where(p => p.GetCustomAttributes<TriggerBindingAttribute>().Any()).ToArray();
        var parameter = Assert.Single(triggers);
        Assert.Equal(parameterType, parameter.ParameterType);
        Assert.Contains(method.GetParameters(), p => p.ParameterType == typeof(FunctionContext));
        return Assert.IsType<T>(Assert.Single(parameter.GetCustomAttributes<TriggerBindingAttribute>()));
    }

    /// <summary>The output bindings the source generator finds: properties of the returned type, each with one binding attribute.</summary>
    private static Dictionary<string, (OutputBindingAttribute Attribute, Type Type)> OutputsOf(MethodInfo method)
    {
        Assert.Empty(method.GetCustomAttributes<OutputBindingAttribute>());
        var returned = method.ReturnType.IsGenericType ? method.ReturnType.GetGenericArguments()[0] : null;
        if (returned is null) return [];
        var outputs = new Dictionary<string, (OutputBindingAttribute, Type)>();
        foreach (var property in returned.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
        {
            var attribute = Assert.Single(property.GetCustomAttributes<BindingAttribute>());
            outputs[property.Name] = (Assert.IsAssignableFrom<OutputBindingAttribute>(attribute), property.PropertyType);
        }
        return outputs;
    }

    /// <summary>One <c>[SqlOutput]</c> per record type the action declares it writes, and no other: a row with no output would be lost.</summary>
    private static void AssertSqlOutputs(string name, Dictionary<string, (OutputBindingAttribute Attribute, Type Type)> outputs, string[] except)
    {
        var rows = outputs.Where(o => !except.Contains(o.Key)).ToArray();
        Assert.Equal(
            Consumers.All.Single(c => c.Name == name).Writes.Select(t => t.Name).Order(StringComparer.Ordinal),
            rows.Select(o => o.Value.Type.GetElementType()?.Name ?? o.Value.Type.Name).Order(StringComparer.Ordinal));
        foreach (var (property, (attribute, type)) in rows)
        {
            var sql = Assert.IsType<SqlOutputAttribute>(attribute);
            Assert.True(type.IsArray, $"{property} is not an array of rows");
            var table = SqlTableAttribute.NameOf(type.GetElementType()!);
            Assert.Equal(table, property);
            Assert.Equal(("dbo." + table, "SqlConnectionString"), (sql.CommandText, sql.ConnectionStringSetting));
        }
    }

    [GeneratedRegex(@"^\|\s*(?<name>[A-Z][A-Za-z]+)\s*\|\s*(?<queue>[a-z][a-z.\-]+)\s*\|")]
    private static partial Regex FlowRow();
}
