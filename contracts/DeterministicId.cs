using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace EventProcessors.Contracts;

/// <summary>
/// The id of an event that arrives without one: a hash of its canonical JSON, so a redelivered copy
/// gets the same id and deduplicates, while any difference in content gives a different id.
/// </summary>
/// <remarks>
/// Canonical JSON: object members sorted by name (ordinal), no whitespace, strings re-escaped,
/// numbers as written. The id is the first 128 bits of the SHA-256, as 32 lower-case hex digits:
/// as collision-proof as a UUID. Changing this function changes the ids of redelivered events, so
/// its output is pinned by tests.
/// </remarks>
internal static class DeterministicId
{
    public static string Of(JsonElement body) => Hash(writer => WriteCanonical(writer, body));

    /// <summary>For binary-mode events: the attributes (sorted by name) and the data.</summary>
    public static string Of(IReadOnlyDictionary<string, string> attributes, JsonElement? data) => Hash(writer =>
    {
        writer.WriteStartObject();
        writer.WriteStartObject("attributes");
        foreach (var (name, value) in attributes.OrderBy(a => a.Key, StringComparer.Ordinal)) writer.WriteString(name, value);
        writer.WriteEndObject();
        writer.WritePropertyName("data");
        if (data is { } element) WriteCanonical(writer, element);
        else writer.WriteNullValue();
        writer.WriteEndObject();
    });

    private static string Hash(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer)) write(writer);
        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan))[..32];
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var member in element.EnumerateObject().OrderBy(m => m.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(member.Name);
                    WriteCanonical(writer, member.Value);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray()) WriteCanonical(writer, item);
                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
