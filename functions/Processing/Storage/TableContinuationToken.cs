using System.Text;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// Packs the service's two continuation values (next partition key, next row key) into one opaque string.
/// Neither value can contain a newline: the service's are header values, and in-memory keys reject control characters.
/// </summary>
internal static class TableContinuationToken
{
    public static string Encode(string nextPartitionKey, string? nextRowKey) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(nextPartitionKey + "\n" + nextRowKey));

    public static (string NextPartitionKey, string? NextRowKey) Decode(string token)
    {
        string text;
        try
        {
            text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
        }
        catch (FormatException e)
        {
            throw new ArgumentException("Not a continuation token returned by a table query.", nameof(token), e);
        }
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        if (newline < 0) throw new ArgumentException("Not a continuation token returned by a table query.", nameof(token));
        var rowKey = text[(newline + 1)..];
        return (text[..newline], rowKey.Length == 0 ? null : rowKey);
    }
}
