using System.Security.Cryptography;
using System.Text;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// Makes arbitrary identifiers safe as PartitionKey/RowKey values, which may not contain
/// <c>/ \ # ?</c> or control characters and are limited to 1 KiB. The result stays readable
/// for operators, and distinct inputs stay distinct.
/// </summary>
public static class StorageKeys
{
    private const int MaxReadableLength = 200;

    /// <summary>Percent-encodes the forbidden characters, '%' itself and the '|' used to join key parts.</summary>
    public static string Escape(string value)
    {
        // Most ids need nothing escaped: return them as they are, without a copy.
        if (value.Length <= MaxReadableLength * 2 && !NeedsEscaping(value)) return value;
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (c is '/' or '\\' or '#' or '?' or '%' or '|' || char.IsControl(c))
                builder.Append('%').Append(((int)c).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            else
                builder.Append(c);
        }
        var escaped = builder.ToString();
        // Long keys keep a readable prefix and add a hash of the whole value, which keeps them unique.
        return escaped.Length <= MaxReadableLength * 2
            ? escaped
            : escaped[..MaxReadableLength] + "~" + Hash(value);
    }

    private static bool NeedsEscaping(string value)
    {
        foreach (var c in value)
        {
            if (c is '/' or '\\' or '#' or '?' or '%' or '|' || char.IsControl(c)) return true;
        }
        return false;
    }

    /// <summary>Escapes each part and joins them with '|'.</summary>
    public static string Join(params ReadOnlySpan<string> parts)
    {
        // Most parts need no escaping (Escape returns them as they are): joined without escaped copies or an array.
        foreach (var part in parts)
            if (!ReferenceEquals(Escape(part), part)) return string.Join('|', parts.ToArray().Select(Escape));
        return string.Join('|', parts);
    }

    /// <summary>A stable bucket in [0, <paramref name="buckets"/>) for spreading keys over partitions.</summary>
    public static int Bucket(string value, int buckets)
    {
        Span<byte> hash = stackalloc byte[32];
        // Keys are short: their UTF-8 fits on the stack, so bucketing allocates nothing.
        var length = Encoding.UTF8.GetMaxByteCount(value.Length);
        byte[]? rented = null;
        var utf8 = length <= 1024 ? stackalloc byte[1024] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(length));
        SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(value, utf8)], hash);
        if (rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        return (int)(BitConverter.ToUInt32(hash) % (uint)buckets);
    }

    private static string Hash(string value) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}
