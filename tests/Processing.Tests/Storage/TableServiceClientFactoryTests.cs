using Azure.Core;
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
    public void The_default_is_Azurite_over_REST()
    {
        var service = TableServiceClientFactory.Create(new TableStorageOptions());

        var rest = Assert.IsType<TableServiceClient>(service);
        Assert.Equal(new Uri("http://127.0.0.1:10002/devstoreaccount1"), rest.Uri);
    }

    [Fact]
    public void A_table_service_uri_uses_Entra_ID_and_needs_a_credential()
    {
        var options = new TableStorageOptions { TableServiceUri = new Uri("https://acct.table.core.windows.net") };

        Assert.IsType<TableServiceClient>(TableServiceClientFactory.Create(options, new NoCredential()));
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
