using System.IO.Compression;
using System.Text.Json;
using EventProcessors.Contracts;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Idempotency;

/// <summary>Stores a <see cref="ProcessingOutcome"/> compactly: JSON, gzip-compressed.</summary>
internal static class OutcomeSerializer
{
    private sealed record StoredOutcome(IReadOnlyList<CloudEvent> Events, IReadOnlyList<OutcomeRecord> Records);

    public static byte[] Serialize(ProcessingOutcome outcome)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
            JsonSerializer.Serialize(gzip, new StoredOutcome(outcome.Events, outcome.Records), ContractJson.Options);
        return buffer.ToArray();
    }

    public static ProcessingOutcome Deserialize(byte[] data)
    {
        using var gzip = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        var stored = JsonSerializer.Deserialize<StoredOutcome>(gzip, ContractJson.Options)
            ?? throw new InvalidDataException("Stored outcome is empty.");
        return new ProcessingOutcome(stored.Events, stored.Records);
    }
}
