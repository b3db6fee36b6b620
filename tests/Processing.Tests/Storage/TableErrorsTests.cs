using System.Net;
using System.Text;
using Azure;
using Azure.Core.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Tests.Storage;

public sealed class TableErrorsTests
{
    private const string ErrorBody =
        """{"odata.error":{"code":"EntityAlreadyExists","message":{"lang":"en-US","value":"The specified entity already exists."}}}""";

    [Fact]
    public async Task The_error_code_comes_from_the_header()
    {
        var table = TableAnswering(() => Response(HttpStatusCode.Conflict, ErrorBody, headerCode: "HeaderCode"));

        var e = await Assert.ThrowsAsync<RequestFailedException>(() => table.AddEntityAsync(new TableEntity("p", "r")));

        Assert.Equal(409, e.Status);
        Assert.Equal("HeaderCode", e.ErrorCode);
        Assert.Contains("The specified entity already exists.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_the_header_the_error_code_comes_from_the_odata_error_body()
    {
        var table = TableAnswering(() => Response(HttpStatusCode.Conflict, ErrorBody));

        var e = await Assert.ThrowsAsync<RequestFailedException>(() => table.AddEntityAsync(new TableEntity("p", "r")));

        Assert.Equal(409, e.Status);
        Assert.Equal(TableErrorCodes.EntityAlreadyExists, e.ErrorCode);
    }

    [Fact]
    public async Task A_body_that_is_not_JSON_still_gives_the_status()
    {
        var table = TableAnswering(() => Response(HttpStatusCode.Forbidden, "<html>denied</html>"));

        var e = await Assert.ThrowsAsync<RequestFailedException>(() => table.GetEntityAsync("p", "r"));

        Assert.Equal(403, e.Status);
        Assert.Null(e.ErrorCode);
    }

    [Fact]
    public async Task A_404_for_a_missing_table_is_thrown_but_one_for_a_missing_entity_is_an_answer()
    {
        var missingTable = TableAnswering(() => Response(HttpStatusCode.NotFound, "", headerCode: TableErrorCodes.TableNotFound));
        var missingEntity = TableAnswering(() => Response(HttpStatusCode.NotFound, "", headerCode: TableErrorCodes.ResourceNotFound));

        await Assert.ThrowsAsync<RequestFailedException>(() => missingTable.GetEntityAsync("p", "r"));
        await Assert.ThrowsAsync<RequestFailedException>(() => missingTable.DeleteEntityAsync("p", "r"));
        Assert.Null(await missingEntity.GetEntityAsync("p", "r"));
        Assert.False(await missingEntity.DeleteEntityAsync("p", "r"));
    }

    private static TableClient TableAnswering(Func<HttpResponseMessage> respond)
    {
        var options = new TableClientOptions { Transport = new HttpClientTransport(new HttpClient(new RecordingHandler(respond))) };
        options.Retry.MaxRetries = 0;
        return new TableServiceClient("UseDevelopmentStorage=true", options).GetTableClient("orders");
    }

    private static HttpResponseMessage Response(HttpStatusCode status, string body, string? headerCode = null)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (headerCode is not null) response.Headers.Add("x-ms-error-code", headerCode);
        return response;
    }
}
