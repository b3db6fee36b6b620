using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
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
        // The path is built in one pooled buffer as the walk descends and becomes a string only for an error, so a valid
        // payload is checked without allocating; the walk's per-type facts are computed once (Contract).
        var builder = new PathBuilder(path);
        try
        {
            return Contract.Of(typeInfo).Validate(element, ref builder);
        }
        finally
        {
            builder.Dispose();
        }
    }

    /// <summary>What the walk needs of one <see cref="JsonTypeInfo"/>, worked out on first use and kept.</summary>
    private sealed class Contract
    {
        private static readonly ConcurrentDictionary<JsonTypeInfo, Contract> Cache = new(ReferenceEqualityComparer.Instance);

        private readonly JsonTypeInfo _typeInfo;
        private readonly Member[] _members = [];
        private readonly Func<JsonElement, bool>? _accepts;
        private readonly bool _itemsMayBeNull;
        private Contract? _items;

        private Contract(JsonTypeInfo typeInfo)
        {
            _typeInfo = typeInfo;
            switch (typeInfo.Kind)
            {
                case JsonTypeInfoKind.Object:
                    _members = [.. typeInfo.Properties.Select(p => new Member(p))];
                    break;
                case JsonTypeInfoKind.Enumerable or JsonTypeInfoKind.Dictionary:
                    var itemType = typeInfo.ElementType!;
                    // Collection items carry no nullability annotation; our collections never hold nulls, and a
                    // null in one would surface as a NullReferenceException in a handler instead of a dead letter.
                    _itemsMayBeNull = itemType == typeof(JsonElement) || Nullable.GetUnderlyingType(itemType) is not null;
                    break;
                default:
                    _accepts = typeInfo.Type == typeof(JsonElement) ? null : Accepting(typeInfo);
                    break;
            }
        }

        public static Contract Of(JsonTypeInfo typeInfo) => Cache.GetOrAdd(typeInfo, static info => new Contract(info));

        private Contract Items => _items ??= Of(_typeInfo.Options.GetTypeInfo(_typeInfo.ElementType!));

        public EventError? Validate(JsonElement element, ref PathBuilder path)
        {
            if (_typeInfo.Type == typeof(JsonElement)) return null;
            return _typeInfo.Kind switch
            {
                JsonTypeInfoKind.Object => ValidateObject(element, ref path),
                JsonTypeInfoKind.Enumerable => ValidateArray(element, ref path),
                JsonTypeInfoKind.Dictionary => ValidateDictionary(element, ref path),
                _ => _accepts!(element) ? null : Mistyped(element, _typeInfo, path.ToString()),
            };
        }

        private EventError? ValidateObject(JsonElement element, ref PathBuilder path)
        {
            if (element.ValueKind != JsonValueKind.Object) return Mistyped(element, _typeInfo, path.ToString());
            foreach (var member in _members)
            {
                // Every occurrence counts: the serializer reads each duplicate of a member in turn.
                var found = false;
                foreach (var candidate in element.EnumerateObject())
                {
                    if (!member.Matches(candidate)) continue;
                    found = true;
                    var error = ValidateMember(member, candidate.Value, ref path);
                    if (error is not null) return error;
                }
                if (!found && member.IsRequired) return Missing(member.Name, path.With(member.Name), "is missing");
            }
            return null;
        }

        private static EventError? ValidateMember(Member member, JsonElement value, ref PathBuilder path)
        {
            if (value.ValueKind == JsonValueKind.Null)
                return member.IsSetNullable ? null : Missing(member.Name, path.With(member.Name), "is null");
            var mark = path.Push(member.Name);
            var error = member.Contract.Validate(value, ref path);
            path.Pop(mark);
            return error;
        }

        private EventError? ValidateArray(JsonElement element, ref PathBuilder path)
        {
            if (element.ValueKind != JsonValueKind.Array) return Mistyped(element, _typeInfo, path.ToString());
            var index = 0;
            foreach (var item in element.EnumerateArray())
            {
                var mark = path.PushIndex(index++);
                var error = ValidateItem(item, ref path);
                path.Pop(mark);
                if (error is not null) return error;
            }
            return null;
        }

        private EventError? ValidateDictionary(JsonElement element, ref PathBuilder path)
        {
            if (element.ValueKind != JsonValueKind.Object) return Mistyped(element, _typeInfo, path.ToString());
            foreach (var member in element.EnumerateObject())
            {
                var mark = path.Push(member.Name);
                var error = ValidateItem(member.Value, ref path);
                path.Pop(mark);
                if (error is not null) return error;
            }
            return null;
        }

        private EventError? ValidateItem(JsonElement item, ref PathBuilder path)
        {
            if (item.ValueKind != JsonValueKind.Null || _itemsMayBeNull) return Items.Validate(item, ref path);
            var itemPath = path.ToString();
            return Missing(LastSegment(itemPath), itemPath, "is null");
        }
    }

    /// <summary>One property of an object contract, and how to find its member in a JSON object without allocating.</summary>
    private sealed class Member(JsonPropertyInfo property)
    {
        private readonly byte[] _utf8Name = Encoding.UTF8.GetBytes(property.Name);
        private readonly bool _asciiName = Ascii.IsValid(property.Name);
        private Contract? _contract;

        public string Name { get; } = property.Name;
        public bool IsRequired { get; } = property.IsRequired;
        public bool IsSetNullable { get; } = property.IsSetNullable;
        public Contract Contract => _contract ??= Contract.Of(property.Options.GetTypeInfo(property.PropertyType));

        /// <summary>
        /// Whether <paramref name="candidate"/> is this property: names match case-insensitively (web defaults), compared
        /// as UTF-8 unless escaped or not ASCII.
        /// </summary>
        public bool Matches(JsonProperty candidate)
        {
            var raw = JsonMarshal.GetRawUtf8PropertyName(candidate);
            return _asciiName && Ascii.IsValid(raw) && raw.IndexOf((byte)'\\') < 0
                ? Ascii.EqualsIgnoreCase(raw, _utf8Name)
                : string.Equals(candidate.Name, Name, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>
    /// Whether the serializer reads <paramref name="element"/> as the value type of <paramref name="typeInfo"/>, asked of
    /// the serializer itself (typed, so nothing is boxed); any JSON string is a string.
    /// </summary>
    private static Func<JsonElement, bool> Accepting(JsonTypeInfo typeInfo)
    {
        if (typeInfo is JsonTypeInfo<string> text && text.Converter.GetType().Assembly == typeof(JsonSerializer).Assembly)
            return element => element.ValueKind == JsonValueKind.String || Reads(text, element);
        return (Func<JsonElement, bool>)typeof(PayloadValidator).GetMethod(nameof(AcceptingOf), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(typeInfo.Type).Invoke(null, [typeInfo])!;
    }

    private static Func<JsonElement, bool> AcceptingOf<T>(JsonTypeInfo typeInfo)
    {
        var typed = (JsonTypeInfo<T>)typeInfo;
        return element => Reads(typed, element);
    }

    private static bool Reads<T>(JsonTypeInfo<T> typeInfo, JsonElement element)
    {
        try
        {
            element.Deserialize(typeInfo);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>A JSON path written into one pooled buffer: segments are pushed and popped as the walk goes.</summary>
    private ref struct PathBuilder
    {
        private char[] _buffer;
        private int _length;

        public PathBuilder(string root)
        {
            _buffer = ArrayPool<char>.Shared.Rent(Math.Max(256, root.Length * 2));
            root.CopyTo(_buffer);
            _length = root.Length;
        }

        /// <summary>Appends <c>.name</c>; returns the length to <see cref="Pop"/> back to.</summary>
        public int Push(string name)
        {
            var mark = _length;
            Append(".");
            Append(name);
            return mark;
        }

        /// <summary>Appends <c>[index]</c>.</summary>
        public int PushIndex(int index)
        {
            var mark = _length;
            Span<char> digits = stackalloc char[12];
            index.TryFormat(digits, out var written, provider: CultureInfo.InvariantCulture);
            Append("[");
            Append(digits[..written]);
            Append("]");
            return mark;
        }

        public void Pop(int mark) => _length = mark;

        /// <summary>The path with <c>.name</c> appended, as a string (for an error).</summary>
        public readonly string With(string name) => string.Concat(_buffer.AsSpan(0, _length), ".", name);

        public override readonly string ToString() => new(_buffer, 0, _length);

        private void Append(scoped ReadOnlySpan<char> text)
        {
            if (_length + text.Length > _buffer.Length)
            {
                var larger = ArrayPool<char>.Shared.Rent((_length + text.Length) * 2);
                _buffer.AsSpan(0, _length).CopyTo(larger);
                ArrayPool<char>.Shared.Return(_buffer);
                _buffer = larger;
            }
            text.CopyTo(_buffer.AsSpan(_length));
            _length += text.Length;
        }

        public void Dispose() => ArrayPool<char>.Shared.Return(_buffer);
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
