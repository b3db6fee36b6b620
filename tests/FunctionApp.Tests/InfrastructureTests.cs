using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using EventProcessors.Processing.Hosting;
using EventProcessors.TestSupport;

namespace EventProcessors.FunctionApp.Tests;

/// <summary>
/// infra/azure/main.bicep, compiled by the Bicep CLI (type checks against the Azure resource types, linter on): the
/// Function App it deploys can run these functions and has every setting their bindings and the app read.
/// </summary>
public sealed class InfrastructureTests
{
    private static readonly Lazy<(int Exit, string Json, string Errors)> Compiled = new(Compile);

    [Fact]
    public void The_template_compiles_without_errors_or_linter_warnings()
    {
        var (exit, json, errors) = Compiled.Value;

        Assert.True(exit == 0, errors);
        Assert.Equal("", errors.Trim());
        Assert.NotNull(JsonNode.Parse(json)!["resources"]);
    }

    [Fact]
    public void The_Function_App_is_an_isolated_NET_10_app_on_Elastic_Premium_with_scale_monitoring_and_a_managed_identity()
    {
        var site = Resource("Microsoft.Web/sites");
        var plan = Resource("Microsoft.Web/serverfarms");

        Assert.Equal("functionapp,linux", (string?)site["kind"]);
        Assert.Equal("SystemAssigned", (string?)site["identity"]!["type"]);
        var config = site["properties"]!["siteConfig"]!;
        Assert.Equal("DOTNET-ISOLATED|10.0", (string?)config["linuxFxVersion"]);
        Assert.True((bool)config["functionsRuntimeScaleMonitoringEnabled"]!); // Kafka and RabbitMQ triggers scale on it
        Assert.Equal("ElasticPremium", (string?)plan["sku"]!["tier"]);
        Assert.True((bool)plan["properties"]!["reserved"]!);
    }

    [Fact]
    public void Every_setting_the_bindings_and_the_app_read_is_an_app_setting()
    {
        var settings = Resource("Microsoft.Web/sites")["properties"]!["siteConfig"]!["appSettings"]!.AsArray()
            .ToDictionary(s => (string)s!["name"]!, s => (string?)s!["value"]);

        foreach (var setting in SettingsFilesTests.BindingSettingNames().Distinct())
            Assert.True(settings.ContainsKey(setting), $"main.bicep sets no {setting}");
        Assert.Equal(("dotnet-isolated", "~4"), (settings["FUNCTIONS_WORKER_RUNTIME"], settings["FUNCTIONS_EXTENSION_VERSION"]));
        Assert.Contains("APPLICATIONINSIGHTS_CONNECTION_STRING", settings.Keys);
        Assert.Contains("AzureWebJobsStorage", settings.Keys);
        // Table Storage through the managed identity: the configuration key of the endpoint, as an environment variable.
        Assert.Contains(SettingNames.TableServiceUri.Replace(":", "__", StringComparison.Ordinal), settings.Keys);
        Assert.DoesNotContain(SettingNames.TableStorage, settings.Keys);
    }

    [Fact]
    public void The_managed_identity_may_read_and_write_the_tables_of_the_account()
    {
        var assignment = Resource("Microsoft.Authorization/roleAssignments")["properties"]!;
        var variables = JsonNode.Parse(Compiled.Value.Json)!["variables"]!.AsObject();
        // The compiled template names the role through a variable: resolve it.
        var roleDefinitionId = variables.Where(v => v.Value is JsonValue).Aggregate((string)assignment["roleDefinitionId"]!,
            (text, variable) => text.Replace($"variables('{variable.Key}')", $"'{(string?)variable.Value}'", StringComparison.Ordinal));

        Assert.Equal("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3')]", roleDefinitionId); // Storage Table Data Contributor
        Assert.EndsWith(".identity.principalId]", (string?)assignment["principalId"]);
        Assert.Contains("Microsoft.Web/sites", (string?)assignment["principalId"]);
    }

    [Fact]
    public void Alerts_watch_dead_letters_failure_rate_consumer_lag_and_event_age_on_the_metrics_the_hosts_export()
    {
        var rules = Resources("Microsoft.Insights/scheduledQueryRules");
        var parameters = JsonNode.Parse(Compiled.Value.Json)!["parameters"]!.AsObject();

        // The compiled template builds each rule from the alerts variable: its queries name the product's instruments.
        var queries = JsonNode.Parse(Compiled.Value.Json)!["variables"]!["alerts"]!.AsArray().Select(a => (string)a!["query"]!).ToArray();
        Assert.Equal(4, queries.Length);
        foreach (var metric in new[] { Processing.Telemetry.MetricNames.DeadLetters, Processing.Telemetry.MetricNames.ConsumerLag, Processing.Telemetry.MetricNames.EventAge })
            Assert.Contains(queries, q => q.Contains($"name == \"{metric}\"", StringComparison.Ordinal));
        Assert.Contains(queries, q => q.Contains("name startswith \"process \"", StringComparison.Ordinal)); // failure rate over the consumer spans
        Assert.Single(rules); // one copy loop over the four alerts
        Assert.Contains("consumerLagThreshold", parameters.Select(p => p.Key));
        var workbook = Assert.Single(Resources("Microsoft.Insights/workbooks"));
        Assert.Equal("shared", (string?)workbook["kind"]);
    }

    private static IReadOnlyList<JsonObject> Resources(string type)
    {
        var (exit, json, errors) = Compiled.Value;
        Assert.True(exit == 0, errors);
        return JsonNode.Parse(json)!["resources"]!.AsArray().Where(r => (string?)r!["type"] == type).Select(r => r!.AsObject()).ToArray();
    }

    private static JsonObject Resource(string type)
    {
        var (exit, json, errors) = Compiled.Value;
        Assert.True(exit == 0, errors);
        return Assert.Single(JsonNode.Parse(json)!["resources"]!.AsArray(), r => (string?)r!["type"] == type)!.AsObject();
    }

    private static (int Exit, string Json, string Errors) Compile()
    {
        var cli = typeof(InfrastructureTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BicepCli").Value!;
        var start = new ProcessStartInfo(cli, ["build", RepositoryFiles.PathOf("infra/azure/main.bicep"), "--stdout"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var json = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, json, errors.Result);
    }
}
