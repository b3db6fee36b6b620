using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Azure;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// The Table service's JSON entity format. Writes carry an <c>@odata.type</c> annotation for every type JSON
/// cannot state itself (Int64, Double, DateTime, Guid, Binary); reads expect <c>odata=minimalmetadata</c>, where
/// the service annotates the same types, so every value comes back with its original type.
/// </summary>
internal static class TableEntityJson
{
    private const string TypeAnnotation = "@odata.type";
    private const string DateFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    public static ReadOnlyMemory<byte> Write(TableEntity entity)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("PartitionKey", entity.PartitionKey);
            json.WriteString("RowKey", entity.RowKey);
            foreach (var (name, value) in entity.Properties) WriteProperty(json, name, value);
            json.WriteEndObject();
        }
        return buffer.WrittenMemory;
    }

    public static TableEntity Read(JsonElement json)
    {
        var entity = new TableEntity(
            json.TryGetProperty("PartitionKey", out var pk) ? pk.GetString() ?? "" : "",
            json.TryGetProperty("RowKey", out var rk) ? rk.GetString() ?? "" : "");
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in json.EnumerateObject())
        {
            if (property.Name.EndsWith(TypeAnnotation, StringComparison.Ordinal))
                types[property.Name[..^TypeAnnotation.Length]] = property.Value.GetString() ?? "";
        }
        foreach (var property in json.EnumerateObject())
        {
            var name = property.Name;
            if (name is "PartitionKey" or "RowKey" || name.EndsWith(TypeAnnotation, StringComparison.Ordinal)) continue;
            if (name == "odata.etag") entity.ETag = new ETag(property.Value.GetString() ?? "");
            else if (name == "Timestamp") entity.Timestamp = ParseDate(property.Value.GetString());
            else if (!name.StartsWith("odata.", StringComparison.Ordinal))
                entity[name] = ReadValue(property.Value, types.GetValueOrDefault(name));
        }
        return entity;
    }

    /// <summary>The <c>DateTime</c> wire form: UTC with all seven fractional digits the service keeps.</summary>
    public static string FormatDate(DateTimeOffset value) => value.UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture);

    private static void WriteProperty(Utf8JsonWriter json, string name, object value)
    {
        switch (value)
        {
            case string s: json.WriteString(name, s); break;
            case int i: json.WriteNumber(name, i); break;
            case bool b: json.WriteBoolean(name, b); break;
            case long l:
                json.WriteString(name + TypeAnnotation, "Edm.Int64");
                json.WriteString(name, l.ToString(CultureInfo.InvariantCulture));
                break;
            case double d:
                // Annotated always: a whole number written as 2 would otherwise be stored as Int32.
                json.WriteString(name + TypeAnnotation, "Edm.Double");
                if (double.IsFinite(d)) json.WriteNumber(name, d);
                else json.WriteString(name, d.ToString(CultureInfo.InvariantCulture)); // "NaN", "Infinity", "-Infinity"
                break;
            case DateTimeOffset t:
                json.WriteString(name + TypeAnnotation, "Edm.DateTime");
                json.WriteString(name, FormatDate(t));
                break;
            case Guid g:
                json.WriteString(name + TypeAnnotation, "Edm.Guid");
                json.WriteString(name, g.ToString("D"));
                break;
            case byte[] bytes:
                json.WriteString(name + TypeAnnotation, "Edm.Binary");
                json.WriteBase64String(name, bytes);
                break;
            default:
                throw new ArgumentException($"Property '{name}' has type {value.GetType().Name}, which Table Storage cannot hold.");
        }
    }

    private static object? ReadValue(JsonElement value, string? edmType) => edmType switch
    {
        "Edm.Int64" => long.Parse(value.GetString()!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture),
        "Edm.Double" => value.ValueKind == JsonValueKind.String
            ? double.Parse(value.GetString()!, CultureInfo.InvariantCulture)
            : value.GetDouble(),
        "Edm.DateTime" => ParseDate(value.GetString()),
        "Edm.Guid" => Guid.Parse(value.GetString()!),
        "Edm.Binary" => value.GetBytesFromBase64(),
        _ => ReadNative(value), // String, Int32 and Boolean need no annotation
    };

    private static object? ReadNative(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        // An unannotated number is Int32 unless written with a fraction or exponent (a Double such as 2.0).
        JsonValueKind.Number => value.GetRawText().AsSpan().IndexOfAny(".eE") < 0 && value.TryGetInt32(out var i) ? i : (object)value.GetDouble(),
        JsonValueKind.Null => null,
        _ => throw new FormatException($"Unexpected JSON {value.ValueKind} in a table entity."),
    };

    private static DateTimeOffset ParseDate(string? text) =>
        DateTimeOffset.Parse(text ?? throw new FormatException("A DateTime property has no value."),
            CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
