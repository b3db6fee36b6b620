using System.Text;
using System.Text.Json;
using EventProcessors.Contracts;

namespace EventProcessors.FunctionApp.Hosting;

/// <summary>The RabbitMQ trigger's message and binding data as an <see cref="InboundMessage"/>.</summary>
internal static class RabbitMQMessages
{
    /// <summary>
    /// Body as UTF-8; <c>message_id</c> and <c>content_type</c> from the binding data's <c>BasicProperties</c>
    /// (the host serializes them to JSON with the client's property names: <c>MessageId</c>, <c>ContentType</c>).
    /// Anything unreadable there is ignored: the envelope reader then derives the id from the body.
    /// </summary>
    public static InboundMessage ToInbound(string message, IReadOnlyDictionary<string, object?>? bindingData)
    {
        string? messageId = null, contentType = null;
        if (bindingData is not null && bindingData.TryGetValue("BasicProperties", out var value) && Properties(value) is { } properties)
        {
            messageId = String(properties, "MessageId");
            contentType = String(properties, "ContentType");
        }
        return new InboundMessage(Encoding.UTF8.GetBytes(message), ContentType: contentType, MessageId: messageId);
    }

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
