using System.Security.Cryptography;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Tests.Storage;

public sealed class TableAuthenticationTests
{
    private const string DevKey = StorageConnectionString.DevelopmentAccountKey;

    [Fact]
    public void Shared_Key_Lite_matches_a_vector_computed_outside_dotnet()
    {
        // printf 'Mon, 01 Jan 2024 00:00:00 GMT\n/devstoreaccount1/devstoreaccount1/Tables' |
        //   openssl dgst -sha256 -mac HMAC -macopt hexkey:<hex of the Base64-decoded key> -binary | base64
        var policy = new TableSharedKeyPipelinePolicy("devstoreaccount1", DevKey);

        var resource = policy.CanonicalizedResource(new Uri("http://127.0.0.1:10002/devstoreaccount1/Tables"));
        Assert.Equal("/devstoreaccount1/devstoreaccount1/Tables", resource);
        Assert.Equal("13UOPPE/P1+LLsRFYJCHphuPCEQ21EO/4WbbW+OXG4U=", policy.Sign("Mon, 01 Jan 2024 00:00:00 GMT\n" + resource));
    }

    [Fact]
    public void Host_style_resources_are_the_account_then_the_encoded_path()
    {
        var policy = new TableSharedKeyPipelinePolicy("myaccount", DevKey);

        var resource = policy.CanonicalizedResource(
            new Uri("https://myaccount.table.core.windows.net/mytable(PartitionKey='a%27%27b',RowKey='r')?$select=A"));
        Assert.Equal("/myaccount/mytable(PartitionKey='a%27%27b',RowKey='r')", resource);
        Assert.Equal("fI+7Qs1H3JWHu5w5Ke/A33gJaKuv6NjWjOZbb1nd/E8=", policy.Sign("Mon, 01 Jan 2024 00:00:00 GMT\n" + resource));
    }

    [Fact]
    public void Only_the_comp_parameter_joins_the_resource()
    {
        var policy = new TableSharedKeyPipelinePolicy("myaccount", DevKey);

        Assert.Equal("/myaccount/mytable?comp=acl",
            policy.CanonicalizedResource(new Uri("https://myaccount.table.core.windows.net/mytable?timeout=30&comp=acl")));
    }

    [Fact]
    public async Task Requests_carry_x_ms_date_and_a_signature_over_it()
    {
        var handler = new RecordingHandler();
        var clock = new FixedClock(new DateTimeOffset(2024, 3, 4, 5, 6, 7, TimeSpan.Zero));
        var pipeline = HttpPipelineBuilder.Build(
            new TableClientOptions { Transport = new HttpClientTransport(new HttpClient(handler)) },
            new TableSharedKeyPipelinePolicy("devstoreaccount1", DevKey, clock));
        var table = new TableClient(pipeline, new Uri("http://127.0.0.1:10002/devstoreaccount1"), "orders", "2019-02-02");

        await table.DeleteEntityAsync("it's", "r 1");

        var request = handler.Single;
        Assert.Equal("Mon, 04 Mar 2024 05:06:07 GMT", Header(request, "x-ms-date"));
        const string path = "/devstoreaccount1/orders(PartitionKey='it%27%27s',RowKey='r%201')";
        Assert.Equal(path, request.RequestUri!.AbsolutePath);
        var expected = Convert.ToBase64String(HMACSHA256.HashData(
            Convert.FromBase64String(DevKey),
            Encoding.UTF8.GetBytes("Mon, 04 Mar 2024 05:06:07 GMT\n/devstoreaccount1" + path)));
        Assert.Equal("SharedKeyLite devstoreaccount1:" + expected, Header(request, "Authorization"));
        Assert.Equal("2019-02-02", Header(request, "x-ms-version"));
        Assert.Equal("*", Header(request, "If-Match"));
    }

    [Fact]
    public async Task Entra_ID_requests_carry_a_bearer_token_for_the_storage_scope()
    {
        var handler = new RecordingHandler();
        var credential = new FakeCredential("token-123");
        var service = new TableServiceClient(
            new Uri("https://myaccount.table.core.windows.net/"), credential,
            new TableClientOptions { Transport = new HttpClientTransport(new HttpClient(handler)) });

        var etag = await service.GetTableClient("orders").UpsertEntityAsync(new TableEntity("p", "r"));

        var request = handler.Single;
        Assert.Equal("Bearer token-123", Header(request, "Authorization"));
        Assert.Equal(["https://storage.azure.com/.default"], credential.Scopes);
        Assert.Equal(HttpMethod.Put, request.Method);
        Assert.Equal("https://myaccount.table.core.windows.net/orders(PartitionKey='p',RowKey='r')", request.RequestUri!.AbsoluteUri);
        Assert.False(request.Headers.Contains("If-Match")); // an upsert
        Assert.Equal("W/\"datetime'2024-01-01T00%3A00%3A00.0000000Z'\"", etag.ToString());
    }

    private static string Header(HttpRequestMessage request, string name) =>
        string.Join(",", request.Headers.TryGetValues(name, out var values) ? values : []);

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

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
