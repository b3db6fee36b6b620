using System.IO.Compression;
using System.Text.Json;
using EventProcessors.Contracts;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Idempotency;

/// <summary>
/// Stores a <see cref="ProcessingOutcome"/> compactly: JSON, gzip-compressed once it reaches <see cref="CompressFrom"/> bytes.
/// A typical outcome (one event, a record or two) is well under that, where gzip saves little and a deflate stream per
/// record costs more than the whole rest of the serialisation. Reading tells the two apart by gzip's magic bytes, which
/// JSON never starts with, so outcomes stored compressed by earlier versions read as before.
/// </summary>
internal static class OutcomeSerializer
{
    /// <summary>JSON of at least this many bytes is compressed.</summary>
    internal const int CompressFrom = 8 * 1024;

    private sealed record StoredOutcome(IReadOnlyList<CloudEvent> Events, IReadOnlyList<OutcomeRecord> Records);

    public static byte[] Serialize(ProcessingOutcome outcome)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new StoredOutcome(outcome.Events, outcome.Records), ContractJson.Options);
        if (json.Length < CompressFrom) return json;
        using var buffer = new MemoryStream(json.Length / 4);
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(json);
        return buffer.ToArray();
    }

    public static ProcessingOutcome Deserialize(byte[] data)
    {
        StoredOutcome? stored;
        if (IsGzip(data))
        {
            using var gzip = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
            stored = JsonSerializer.Deserialize<StoredOutcome>(gzip, ContractJson.Options);
        }
        else
        {
            stored = JsonSerializer.Deserialize<StoredOutcome>(data, ContractJson.Options);
        }
        if (stored is null) throw new InvalidDataException("Stored outcome is empty.");
        return new ProcessingOutcome(stored.Events, stored.Records);
    }

    internal static bool IsGzip(ReadOnlySpan<byte> data) => data is [0x1f, 0x8b, ..];
}
