using EventProcessors.LocalHost.Hosting;
using EventProcessors.LocalHost.Tests.Support;

namespace EventProcessors.LocalHost.Tests;

/// <summary>Azurite and the in-memory account lose acknowledged writes: <c>serve</c> says so, and names what a plant should use.</summary>
public sealed class DevelopmentStorageTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("inmemory")]
    [InlineData("UseDevelopmentStorage=true")]
    [InlineData("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;")]
    public void Development_storage_is_named_as_such_with_what_a_plant_needs(string? tableStorage)
    {
        var warning = DevelopmentStorage.Warning(tableStorage);

        Assert.NotNull(warning);
        Assert.Contains("development only", warning, StringComparison.Ordinal);
        Assert.Contains("Azure Storage account", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void An_Azure_Storage_account_gets_no_warning() =>
        Assert.Null(DevelopmentStorage.Warning("DefaultEndpointsProtocol=https;AccountName=plantwest;AccountKey=a2V5;EndpointSuffix=core.windows.net"));

    [Fact]
    public async Task Serve_warns_when_given_development_storage()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));

        var (_, text, _) = await CliRun.RunAsync(stop.Token, "serve", "--transport", "inmemory", "--storage", "UseDevelopmentStorage=true");

        Assert.Contains("warning: serve is using development storage (Azurite)", text, StringComparison.Ordinal);
        Assert.Contains("Azure Storage account", text, StringComparison.Ordinal);
    }
}
