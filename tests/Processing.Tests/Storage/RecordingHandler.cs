using System.Net;

namespace EventProcessors.Processing.Tests.Storage;

/// <summary>An HTTP handler that records every request and answers with a canned response, for pipeline unit tests.</summary>
internal sealed class RecordingHandler(Func<HttpResponseMessage>? respond = null) : HttpMessageHandler
{
    public List<HttpRequestMessage> Requests { get; } = [];

    public HttpRequestMessage Single => Assert.Single(Requests);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        lock (Requests) Requests.Add(request);
        return Task.FromResult(respond?.Invoke() ?? NoContentWithETag());
    }

    private static HttpResponseMessage NoContentWithETag()
    {
        var response = new HttpResponseMessage(HttpStatusCode.NoContent);
        response.Headers.TryAddWithoutValidation("ETag", "W/\"datetime'2024-01-01T00%3A00%3A00.0000000Z'\"");
        return response;
    }
}
