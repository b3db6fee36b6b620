using System.Collections;
using System.Globalization;
using System.Text;

namespace EventProcessors.LocalHost.Transport;

/// <summary>AMQP header values as text: what <see cref="Contracts.InboundMessage.Headers"/> carries.</summary>
public static class HeaderText
{
    public static IReadOnlyDictionary<string, string> ToStrings(IReadOnlyDictionary<string, object?> headers)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in headers)
            if (value is not null) result[key] = ToText(value);
        return result;
    }

    public static string ToText(object? value) => value switch
    {
        null => "",
        string s => s,
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        ReadOnlyMemory<byte> memory => Encoding.UTF8.GetString(memory.Span),
        bool b => b ? "true" : "false",
        IFormattable f when value.GetType().IsPrimitive || value is decimal => f.ToString(null, CultureInfo.InvariantCulture),
        IDictionary dictionary => "{" + string.Join(", ", dictionary.Keys.Cast<object>().Select(k => $"{k}={ToText(dictionary[k])}")) + "}",
        IEnumerable list => "[" + string.Join(", ", list.Cast<object?>().Select(ToText)) + "]",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
