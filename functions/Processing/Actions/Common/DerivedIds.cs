using System.Security.Cryptography;
using System.Text;

namespace EventProcessors.Processing.Actions.Common;

/// <summary>
/// Ids of documents an action creates, derived from what they are created from: a re-run after a crash,
/// or a redelivered event, yields the same id, so rows upsert and follow-on events deduplicate downstream.
/// </summary>
public static class DerivedIds
{
    /// <summary>A name-based UUID (RFC 9562 version 8 over SHA-256) of <paramref name="parts"/>; include the tenant among them.</summary>
    public static string Uuid(params ReadOnlySpan<string> parts)
    {
        var name = new StringBuilder();
        foreach (var part in parts) name.Append(part.Length).Append(':').Append(part).Append('\n');
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(name.ToString()), hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8: custom, name-based
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC variant
        return new Guid(bytes, bigEndian: true).ToString();
    }
}

/// <summary>Human-facing document numbers derived from the number of the document they come from.</summary>
public static class DocumentNumbers
{
    /// <summary>
    /// Collector numbers documents <c>&lt;PREFIX&gt;-2024-001</c>; the order of offer OFF-2024-001 is ORD-2024-001,
    /// its delivery note DN-2024-001 and its invoice INV-2024-001. A number without the expected prefix is kept whole
    /// after the new prefix (ORD-12345), so the result stays unique and traceable.
    /// </summary>
    public static string Renumber(string source, string fromPrefix, string toPrefix) =>
        source.StartsWith(fromPrefix, StringComparison.OrdinalIgnoreCase)
            ? toPrefix + source[fromPrefix.Length..]
            : toPrefix + source;
}
