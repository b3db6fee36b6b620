using System.Reflection;
using System.Text.Json.Nodes;
using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Hosting;
using EventProcessors.TestSupport;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Tests;

/// <summary>host.json and local.settings.sample.json at the repository root: they parse and hold what the app needs.</summary>
public sealed class SettingsFilesTests
{
    private static JsonObject Read(string file) =>
        JsonNode.Parse(RepositoryFiles.Read(file), documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip })!.AsObject();

    [Fact]
    public void Host_json_makes_Kafka_keep_failed_offsets_and_sets_prefetch_logging_and_OpenTelemetry()
    {
        var host = Read("host.json");

        Assert.Equal("2.0", (string?)host["version"]);
        var kafka = host["extensions"]!["kafka"]!;
        Assert.False((bool)kafka["commitOnFailure"]!);
        Assert.Equal(-1, (int)kafka["maxRetries"]!); // never force-commit past a failed record: the final attempt dead-letters instead
        Assert.True((int)host["extensions"]!["rabbitMQ"]!["prefetchCount"]! > 0);
        Assert.NotNull(host["logging"]!["logLevel"]!["default"]);
        // In OpenTelemetry mode the host ignores logging.applicationInsights (sampling is the exporter's, README
        // "Observability"); the Functions team flags mixing the two as a misconfiguration (azure-functions-host#11366).
        Assert.Equal("OpenTelemetry", (string?)host["telemetryMode"]);
        Assert.Null(host["logging"]!["applicationInsights"]);
    }

    [Fact]
    public void Local_settings_sample_holds_every_setting_the_app_reads_with_a_local_value()
    {
        var values = Read("local.settings.sample.json")["Values"]!.AsObject();

        Assert.Equal("dotnet-isolated", (string?)values["FUNCTIONS_WORKER_RUNTIME"]);
        Assert.Equal("UseDevelopmentStorage=true", (string?)values["AzureWebJobsStorage"]);
        Assert.Equal("UseDevelopmentStorage=true", (string?)values[SettingNames.TableStorage]);
        Assert.StartsWith("amqp://", (string?)values[SettingNames.RabbitMQConnection]);
        Assert.Contains("localhost", (string?)values[SettingNames.KafkaBrokers]);
        Assert.Contains("localhost", (string?)values[SettingNames.SqlConnectionString]);
        Assert.True(values.ContainsKey("APPLICATIONINSIGHTS_CONNECTION_STRING"));
        foreach (var setting in BindingSettingNames())
            Assert.True(values.ContainsKey(setting), $"local.settings.sample.json has no {setting}");
    }

    /// <summary>Every app-setting name a binding attribute of the assembly refers to.</summary>
    internal static IEnumerable<string> BindingSettingNames()
    {
        var assembly = typeof(FunctionRunner).Assembly;
        var attributes = assembly.GetTypes()
            .SelectMany(t => t.GetMethods().SelectMany(m => m.GetParameters().SelectMany(p => p.GetCustomAttributes()))
                .Concat(t.GetProperties().SelectMany(p => p.GetCustomAttributes())));
        foreach (var attribute in attributes)
        {
            switch (attribute)
            {
                case RabbitMQTriggerAttribute a: yield return a.ConnectionStringSetting!; break;
                case KafkaTriggerAttribute a: foreach (var setting in new[] { a.BrokerList, a.Username, a.Password, a.SslCaLocation }) yield return setting; break;
                case KafkaOutputAttribute a: foreach (var setting in new[] { a.BrokerList, a.Username, a.Password, a.SslCaLocation }) yield return setting; break;
                case SqlOutputAttribute a: yield return a.ConnectionStringSetting; break;
            }
        }
    }
}
