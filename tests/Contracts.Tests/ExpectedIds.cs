using System.Security.Cryptography;
using System.Text;

namespace EventProcessors.Contracts.Tests;

/// <summary>
/// The id an id-less event must get, computed here the way <see cref="DeterministicId"/> documents it and
/// without calling it: SHA-256 of the compact body, the first 16 bytes laid out as an RFC 9562 version 8
/// UUID (version nibble 8, variant bits 10), written big-endian in the usual 8-4-4-4-12 hex form.
/// </summary>
public static class ExpectedIds
{
    public static string NameBased(string compactBody)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(compactBody))[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        var hex = Convert.ToHexStringLower(bytes);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }

    /// <summary>
    /// The body without the whitespace between tokens (what "compact" means), member order and values as
    /// sent. Enough for the seed examples, whose strings hold no characters a JSON writer would escape.
    /// </summary>
    public static string Compact(string json)
    {
        var compact = new StringBuilder(json.Length);
        var inString = false;
        for (var i = 0; i < json.Length; i++)
        {
            var c = json[i];
            if (inString)
            {
                compact.Append(c);
                if (c == '\\') compact.Append(json[++i]);
                else if (c == '"') inString = false;
            }
            else if (c == '"')
            {
                inString = true;
                compact.Append(c);
            }
            else if (!char.IsWhiteSpace(c))
            {
                compact.Append(c);
            }
        }
        return compact.ToString();
    }
}
