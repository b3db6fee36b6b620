using Azure.Core;
using EventProcessors.Processing.Hosting;
using EventProcessors.Processing.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EventProcessors.Processing.Tests.Storage;

public sealed class TableStorageOptionsTests
{
    [Fact]
    public void The_TableStorage_setting_is_the_connection_string_and_its_children_the_other_options()
    {
        var options = Bind(new()
        {
            ["TableStorage"] = "inmemory",
            ["TableStorage:tableNamePrefix"] = "env1",
            ["TableStorage:maxRetries"] = "5",
            ["TableStorage:retryDelay"] = "00:00:02",
            ["TableStorage:maxRetryDelay"] = "00:00:30",
            ["TableStorage:retryMode"] = "Fixed",
            ["TableStorage:networkTimeout"] = "00:00:07",
        });

        Assert.Equal("inmemory", options.ConnectionString);
        Assert.Null(options.TableServiceUri);
        Assert.Equal("env1", options.TableNamePrefix);
        Assert.Equal(5, options.MaxRetries);
        Assert.Equal(TimeSpan.FromSeconds(2), options.RetryDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), options.MaxRetryDelay);
        Assert.Equal(RetryMode.Fixed, options.RetryMode);
        Assert.Equal(TimeSpan.FromSeconds(7), options.NetworkTimeout);
    }

    [Fact]
    public void Without_settings_the_defaults_are_Azurite_and_three_exponential_retries()
    {
        var options = Bind(new() { ["TableStorage:tableServiceUri"] = "" });

        Assert.Equal("UseDevelopmentStorage=true", options.ConnectionString);
        Assert.Null(options.TableServiceUri);
        Assert.Equal(3, options.MaxRetries);
        Assert.Equal(RetryMode.Exponential, options.RetryMode);
    }

    [Fact]
    public void A_table_service_uri_alone_selects_identity_based_access_as_the_Function_App_is_configured()
    {
        // TableStorage__tableServiceUri is what infra/azure/main.bicep sets; no credential is passed, so the
        // registration falls back to DefaultAzureCredential (a managed identity in Azure).
        var provider = Provider(new() { ["TableStorage:tableServiceUri"] = "https://acct.table.core.windows.net" });

        Assert.Equal(new Uri("https://acct.table.core.windows.net"), provider.GetRequiredService<IOptions<TableStorageOptions>>().Value.TableServiceUri);
        var service = Assert.IsType<AzureTableServiceClient>(provider.GetRequiredService<ITableServiceClient>());
        Assert.Equal("acct", service.Client.AccountName);
    }

    private static TableStorageOptions Bind(Dictionary<string, string?> settings) =>
        Provider(settings).GetRequiredService<IOptions<TableStorageOptions>>().Value;

    private static ServiceProvider Provider(Dictionary<string, string?> settings) =>
        new ServiceCollection().AddEventProcessing(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()).BuildServiceProvider();
}
