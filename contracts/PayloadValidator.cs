using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace EventProcessors.Contracts;

/// <summary>
/// Checks a JSON payload against the serializer's own contract for a record before deserialising,
/// because the serializer reports only the first problem of a type, without the field's full path
/// (missing required properties) or without saying what was expected. Walking the same
/// <see cref="JsonTypeInfo"/> keeps the check and the deserialisation from disagreeing.
/// </summary>
internal static class PayloadValidator
{
    public static EventError? Validate(JsonElement element, JsonTypeInfo typeInfo, string path)
    {
        if (typeInfo.Type == typeof(JsonElement)) return null;
        return typeInfo.Kind switch
        {
            JsonTypeInfoKind.Object => ValidateObject(element, typeInfo, path),
            JsonTypeInfoKind.Enumerable => ValidateArray(element, typeInfo, path),
            JsonTypeInfoKind.Dictionary => ValidateDictionary(element, typeInfo, path),
            _ => ValidateValue(element, typeInfo, path),
        };
    }

    private static EventError? ValidateObject(JsonElement element, JsonTypeInfo typeInfo, string path)
    {
        if (element.ValueKind != JsonValueKind.Object) return Mistyped(element, typeInfo, path);

        // Web defaults match property names case-insensitively; so does this lookup.
        var members = new Dictionary<string, JsonElement>(StringComparer.OrdinalIgnoreCase);
        foreach (var member in element.EnumerateObject()) members[member.Name] = member.Value;

        foreach (var property in typeInfo.Properties)
        {
            var propertyPath = $"{path}.{property.Name}";
            if (!members.TryGetValue(property.Name, out var value))
            {
                if (property.IsRequired) return Missing(property.Name, propertyPath, "is missing");
                continue;
            }
            if (value.ValueKind == JsonValueKind.Null)
            {
                if (!property.IsSetNullable) return Missing(property.Name, propertyPath, "is null");
                continue;
            }
            var error = Validate(value, typeInfo.Options.GetTypeInfo(property.PropertyType), propertyPath);
            if (error is not null) return error;
        }
        return null;
    }

    private static EventError? ValidateArray(JsonElement element, JsonTypeInfo typeInfo, string path)
    {
        if (element.ValueKind != JsonValueKind.Array) return Mistyped(element, typeInfo, path);
        var itemInfo = typeInfo.Options.GetTypeInfo(typeInfo.ElementType!);
        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            var error = ValidateItem(item, itemInfo, $"{path}[{index++}]");
            if (error is not null) return error;
        }
        return null;
    }

    private static EventError? ValidateDictionary(JsonElement element, JsonTypeInfo typeInfo, string path)
    {
        if (element.ValueKind != JsonValueKind.Object) return Mistyped(element, typeInfo, path);
        var valueInfo = typeInfo.Options.GetTypeInfo(typeInfo.ElementType!);
        foreach (var member in element.EnumerateObject())
        {
            var error = ValidateItem(member.Value, valueInfo, $"{path}.{member.Name}");
            if (error is not null) return error;
        }
        return null;
    }

    // Collection items carry no nullability annotation; our collections never hold nulls, and a
    // null in one would surface as a NullReferenceException in a handler instead of a dead letter.
    private static EventError? ValidateItem(JsonElement item, JsonTypeInfo itemInfo, string path) =>
        item.ValueKind == JsonValueKind.Null && itemInfo.Type != typeof(JsonElement) && Nullable.GetUnderlyingType(itemInfo.Type) is null
            ? Missing(LastSegment(path), path, "is null")
            : Validate(item, itemInfo, path);

    private static EventError? ValidateValue(JsonElement element, JsonTypeInfo typeInfo, string path)
    {
        try
        {
            element.Deserialize(typeInfo);
            return null;
        }
        catch (JsonException)
        {
            return Mistyped(element, typeInfo, path);
        }
    }

    private static EventError Missing(string name, string path, string what) =>
        new(EventErrorCode.MissingField, $"Required field '{name}' {what}.", path);

    private static EventError Mistyped(JsonElement element, JsonTypeInfo typeInfo, string path) =>
        new(EventErrorCode.MistypedField,
            $"Field '{LastSegment(path)}' must be {Expected(typeInfo)}, but is {Actual(element)}.", path);

    private static string LastSegment(string path) => path[(path.LastIndexOf('.') + 1)..];

    private static string Expected(JsonTypeInfo typeInfo)
    {
        switch (typeInfo.Kind)
        {
            case JsonTypeInfoKind.Object or JsonTypeInfoKind.Dictionary: return "an object";
            case JsonTypeInfoKind.Enumerable: return "an array";
        }
        var type = Nullable.GetUnderlyingType(typeInfo.Type) ?? typeInfo.Type;
        if (type.IsEnum) return "one of " + string.Join(", ", EnumNames(type).Select(n => $"\"{n}\""));
        if (type == typeof(string)) return "a string";
        if (type == typeof(bool)) return "true or false";
        if (type == typeof(DateTimeOffset) || type == typeof(DateTime)) return "an ISO 8601 date-time string";
        if (type == typeof(int) || type == typeof(long)) return "an integer (or a string holding one)";
        if (type == typeof(decimal) || type == typeof(double)) return "a number (or a string holding one)";
        return $"a {type.Name}";
    }

    private static IEnumerable<string> EnumNames(Type enumType) =>
        enumType.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name);

    private static string Actual(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Truncate(element.GetString()!)}\"",
        JsonValueKind.Number => $"the number {Truncate(element.GetRawText())}",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => "null",
    };

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
