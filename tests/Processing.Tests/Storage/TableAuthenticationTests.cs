using System.Net;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Tests.Storage;

/// <summary>
/// What the factory configures on the SDK: Entra ID for a table service URI, and the retry policy of
/// <see cref="TableStorageOptions"/>. A recording HTTP handler stands in for the service, which has no Entra ID here.
/// </summary>
public sealed class TableAuthenticationTests
{
    [Fact]
    public async Task A_table_service_uri_sends_a_bearer_token_for_the_storage_scope()
    {
        var handler = new RecordingHandler();
        var credential = new FakeCredential("token-123");
        var service = TableServiceClientFactory.Create(
            new TableStorageOptions { TableServiceUri = new Uri("https://myaccount.table.core.windows.net/") }, credential,
            new TableClientOptions { Transport = new HttpClientTransport(new HttpClient(handler)) });

        var etag = await service.GetTableClient("orders").UpsertEntityAsync(new TableEntity("p", "r"), TableUpdateMode.Replace);

        var request = handler.Single;
        Assert.Equal("Bearer token-123", Header(request, "Authorization"));
        Assert.Equal(["https://storage.azure.com/.default"], credential.Scopes);
        Assert.Equal(HttpMethod.Put, request.Method);
        Assert.StartsWith("https://myaccount.table.core.windows.net/orders(PartitionKey='p',RowKey='r')", request.RequestUri!.AbsoluteUri, StringComparison.Ordinal);
        Assert.False(request.Headers.Contains("If-Match")); // an upsert
        Assert.Equal("W/\"datetime'2024-01-01T00%3A00%3A00.0000000Z'\"", etag.ToString());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task The_retry_policy_follows_the_options(int maxRetries)
    {
        var handler = new RecordingHandler(() => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        var service = TableServiceClientFactory.Create(
            new TableStorageOptions { MaxRetries = maxRetries, RetryDelay = TimeSpan.FromMilliseconds(1), MaxRetryDelay = TimeSpan.FromMilliseconds(5) },
            clientOptions: new TableClientOptions { Transport = new HttpClientTransport(new HttpClient(handler)) });

        var e = await Assert.ThrowsAsync<Azure.RequestFailedException>(() => service.GetTableClient("orders").GetEntityAsync("p", "r"));

        Assert.Equal(503, e.Status);
        Assert.Equal(1 + maxRetries, handler.Requests.Count);
    }

    [Fact]
    public void Negative_retries_are_refused() =>
        Assert.Throws<ArgumentException>(() => TableServiceClientFactory.Create(new TableStorageOptions { MaxRetries = -1 }));

    private static string Header(HttpRequestMessage request, string name) =>
        string.Join(",", request.Headers.TryGetValues(name, out var values) ? values : []);

    private sealed class FakeCredential(string token) : TokenCredential
    {
        public List<string> Scopes { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            Scopes.AddRange(requestContext.Scopes);
            return new AccessToken(token, DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
