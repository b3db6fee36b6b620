using Azure.Core;
using Azure.Data.Tables;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Tests.Storage;

public sealed class TableServiceClientFactoryTests
{
    [Theory]
    [InlineData("inmemory")]
    [InlineData(" InMemory ")]
    public async Task The_inmemory_connection_string_gives_an_in_memory_account(string connectionString)
    {
        var service = TableServiceClientFactory.Create(new TableStorageOptions { ConnectionString = connectionString });

        Assert.IsType<InMemoryTableServiceClient>(service);
        var table = service.GetTableClient("orders");
        await table.CreateIfNotExistsAsync();
        await table.AddEntityAsync(new TableEntity("p", "r"));
        Assert.NotNull(await service.GetTableClient("orders").GetEntityAsync("p", "r"));
    }

    [Fact]
    public void The_default_is_Azurite_through_the_SDK()
    {
        var service = TableServiceClientFactory.Create(new TableStorageOptions());

        var sdk = Assert.IsType<AzureTableServiceClient>(service);
        Assert.Equal(new Uri("http://127.0.0.1:10002/devstoreaccount1"), sdk.Uri);
        Assert.Equal("devstoreaccount1", sdk.Client.AccountName);
    }

    [Fact]
    public void Account_key_connection_strings_give_the_host_style_or_the_explicit_endpoint()
    {
        const string key = "a2V5LWJ5dGVzLWZvci10ZXN0aW5nLW9ubHk=";
        var hostStyle = (AzureTableServiceClient)TableServiceClientFactory.Create(new TableStorageOptions
        {
            ConnectionString = $"DefaultEndpointsProtocol=https;AccountName=myaccount;AccountKey={key};EndpointSuffix=core.windows.net",
        });
        var explicitEndpoint = (AzureTableServiceClient)TableServiceClientFactory.Create(new TableStorageOptions
        {
            ConnectionString = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;",
        });

        Assert.Equal(new Uri("https://myaccount.table.core.windows.net/"), hostStyle.Uri);
        Assert.Equal(new Uri("http://127.0.0.1:10002/devstoreaccount1"), explicitEndpoint.Uri);
    }

    [Theory]
    [InlineData("")]
    [InlineData("AccountName=only")]
    public void A_missing_or_malformed_connection_string_is_a_clear_error(string connectionString) =>
        Assert.ThrowsAny<ArgumentException>(() => TableServiceClientFactory.Create(new TableStorageOptions { ConnectionString = connectionString }));

    [Fact]
    public void A_table_service_uri_uses_Entra_ID_and_needs_a_credential()
    {
        var options = new TableStorageOptions { TableServiceUri = new Uri("https://acct.table.core.windows.net") };

        var sdk = Assert.IsType<AzureTableServiceClient>(TableServiceClientFactory.Create(options, new NoCredential()));
        Assert.Equal(new Uri("https://acct.table.core.windows.net"), sdk.Uri);
        Assert.Throws<ArgumentException>(() => TableServiceClientFactory.Create(options));
    }

    [Fact]
    public async Task The_prefix_is_put_before_every_table_name()
    {
        var service = TableServiceClientFactory.Create(new TableStorageOptions { ConnectionString = "inmemory", TableNamePrefix = "test42" });

        var table = service.GetTableClient("Orders");
        Assert.Equal("test42Orders", table.Name);
        await table.CreateIfNotExistsAsync();
    }

    [Theory]
    [InlineData("1abc")]
    [InlineData("with-dash")]
    [InlineData("under_score")]
    public void Prefixes_must_be_letters_and_digits_starting_with_a_letter(string prefix) =>
        Assert.Throws<ArgumentException>(() =>
            TableServiceClientFactory.Create(new TableStorageOptions { ConnectionString = "inmemory", TableNamePrefix = prefix }));

    private sealed class NoCredential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            throw new NotSupportedException();
    }
}
