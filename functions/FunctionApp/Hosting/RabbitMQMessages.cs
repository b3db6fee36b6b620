using System.Text;
using System.Text.Json;
using EventProcessors.Contracts;

namespace EventProcessors.FunctionApp.Hosting;

/// <summary>The RabbitMQ trigger's message and binding data as an <see cref="InboundMessage"/>.</summary>
internal static class RabbitMQMessages
{
    /// <summary>
    /// Body as UTF-8; <c>message_id</c>, <c>content_type</c> and the application headers (binary-mode
    /// <c>cloudEvents_*</c> attributes, <c>x-replay-count</c>) from the binding data's <c>BasicProperties</c> (the host
    /// serializes them to JSON with the client's property names: <c>MessageId</c>, <c>ContentType</c>, <c>Headers</c>).
    /// Anything unreadable there is ignored: the envelope reader then derives the id from the body.
    /// </summary>
    public static InboundMessage ToInbound(string message, IReadOnlyDictionary<string, object?>? bindingData)
    {
        string? messageId = null, contentType = null;
        Dictionary<string, string>? headers = null;
        if (bindingData is not null && bindingData.TryGetValue("BasicProperties", out var value) && Properties(value) is { } properties)
        {
            messageId = String(properties, "MessageId");
            contentType = String(properties, "ContentType");
            headers = Headers(properties);
        }
        return new InboundMessage(Encoding.UTF8.GetBytes(message), headers, contentType, messageId) { MessagingSystem = "rabbitmq" };
    }

    /// <summary>
    /// The header table as text. The .NET RabbitMQ client hands AMQP string values over as byte arrays, which the host's
    /// JSON serializer writes as base64; numbers and booleans come as themselves.
    /// </summary>
    private static Dictionary<string, string>? Headers(JsonElement properties)
    {
        var table = properties.EnumerateObject().FirstOrDefault(p => p.Name.Equals("Headers", StringComparison.OrdinalIgnoreCase)).Value;
        if (table.ValueKind != JsonValueKind.Object) return null;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in table.EnumerateObject())
        {
            var text = header.Value.ValueKind switch
            {
                JsonValueKind.String => FromBase64(header.Value.GetString()!),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => header.Value.GetRawText(),
                _ => null,
            };
            if (text is not null) headers[header.Name] = text;
        }
        return headers;
    }

    /// <summary>The UTF-8 text of a base64 value; a value that is not base64 of UTF-8 text is taken as it is.</summary>
    private static string FromBase64(string value)
    {
        var bytes = new byte[value.Length];
        if (!Convert.TryFromBase64String(value, bytes, out var length)) return value;
        try
        {
            return StrictUtf8.GetString(bytes, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return value;
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static JsonElement? Properties(object? value)
    {
        try
        {
            var element = value switch
            {
                string json => JsonDocument.Parse(json).RootElement,
                JsonElement json => json,
                null => default,
                _ => JsonSerializer.SerializeToElement(value),
            };
            return element.ValueKind == JsonValueKind.Object ? element : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? String(JsonElement properties, string name)
    {
        foreach (var property in properties.EnumerateObject())
            if (property.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                return property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() is { Length: > 0 } text ? text : null;
        return null;
    }
}
