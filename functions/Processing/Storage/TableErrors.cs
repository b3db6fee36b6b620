using System.Text.Json;
using Azure;

namespace EventProcessors.Processing.Storage;

/// <summary>Builds the <see cref="RequestFailedException"/>s both table implementations throw.</summary>
internal static class TableErrors
{
    public static RequestFailedException Create(int status, string errorCode, string message) =>
        new(status, $"{message}\nStatus: {status}\nErrorCode: {errorCode}", errorCode, null);

    /// <summary>From a failed REST response: the code from <c>x-ms-error-code</c>, else from the <c>odata.error</c> body.</summary>
    public static RequestFailedException FromResponse(Response response)
    {
        var (bodyCode, bodyMessage) = ParseBody(response);
        var code = response.Headers.TryGetValue("x-ms-error-code", out var headerCode) ? headerCode : bodyCode;
        var message = bodyMessage ?? (response.ReasonPhrase.Length > 0 ? response.ReasonPhrase : "The Table service request failed.");
        return new RequestFailedException(
            response.Status, $"{message}\nStatus: {response.Status} ({response.ReasonPhrase})\nErrorCode: {code}", code, null);
    }

    /// <summary>The error code of a failed response, for the few statuses callers handle (404, 409).</summary>
    public static string? ErrorCode(Response response) =>
        response.Headers.TryGetValue("x-ms-error-code", out var code) ? code : ParseBody(response).Code;

    private static (string? Code, string? Message) ParseBody(Response response)
    {
        try
        {
            using var json = JsonDocument.Parse(response.Content.ToMemory());
            if (!json.RootElement.TryGetProperty("odata.error", out var error)) return (null, null);
            var code = error.TryGetProperty("code", out var c) ? c.GetString() : null;
            string? message = null;
            if (error.TryGetProperty("message", out var m))
                message = m.ValueKind == JsonValueKind.Object && m.TryGetProperty("value", out var v) ? v.GetString() : m.ToString();
            return (code, message);
        }
        catch (JsonException)
        {
            return (null, null); // not JSON (e.g. an empty HEAD-style body or a proxy's HTML page)
        }
        catch (InvalidOperationException)
        {
            return (null, null); // JSON of another shape
        }
    }
}
