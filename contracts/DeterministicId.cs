using System.Security.Cryptography;
using System.Text;

namespace EventProcessors.Contracts;

/// <summary>
/// Name-based ids: a UUID (RFC 9562 version 8 layout) over the SHA-256 of a name. The same name always
/// gives the same id and different names give different ids, so redeliveries and re-runs agree on ids.
/// </summary>
public static class DeterministicId
{
    public static string From(string name) => From(Encoding.UTF8.GetBytes(name));

    public static string From(ReadOnlySpan<byte> name)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(name, hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8: custom, name-based
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC variant
        return new Guid(bytes, bigEndian: true).ToString();
    }
}
