using System.IO.Compression;
using System.Text.Json;
using EventProcessors.Contracts;
using EventProcessors.Processing.Idempotency;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Tests.Idempotency;

public sealed class OutcomeSerializerTests
{
    [Fact]
    public void A_small_outcome_is_stored_as_plain_json_and_round_trips()
    {
        var outcome = Outcome("short note");

        var stored = OutcomeSerializer.Serialize(outcome);

        Assert.False(OutcomeSerializer.IsGzip(stored));
        Assert.Equal("short note", JsonDocument.Parse(stored).RootElement.GetProperty("events")[0].GetProperty("data").GetProperty("note").GetString());
        AssertSame(outcome, OutcomeSerializer.Deserialize(stored));
    }

    [Fact]
    public void A_large_outcome_is_compressed_and_round_trips()
    {
        var outcome = Outcome(string.Concat(Enumerable.Repeat("line of a long delivery note; ", 1000)));

        var stored = OutcomeSerializer.Serialize(outcome);

        Assert.True(OutcomeSerializer.IsGzip(stored));
        Assert.True(stored.Length < OutcomeSerializer.CompressFrom, $"{stored.Length} bytes");
        AssertSame(outcome, OutcomeSerializer.Deserialize(stored));
    }

    [Fact]
    public void An_outcome_stored_compressed_by_an_earlier_version_still_reads()
    {
        var outcome = Outcome("stored before the threshold existed");
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(OutcomeSerializer.Serialize(outcome));

        AssertSame(outcome, OutcomeSerializer.Deserialize(buffer.ToArray()));
    }

    private static ProcessingOutcome Outcome(string note) => new(
        [new CloudEvent { Id = "e-1", Source = "s", Type = "stock.reserved", TenantId = "t", Data = JsonSerializer.SerializeToElement(new { note }) }],
        [OutcomeRecord.From(new NoteRow("n-1", 12.5m))]);

    private static void AssertSame(ProcessingOutcome expected, ProcessingOutcome actual)
    {
        Assert.Equal(expected.Events.Select(e => e.ToJsonBytes()), actual.Events.Select(e => e.ToJsonBytes()));
        Assert.Equal(expected.Records.Select(r => (r.Table, r.Row.GetRawText())), actual.Records.Select(r => (r.Table, r.Row.GetRawText())));
    }

    [SqlTable("Notes")]
    private sealed record NoteRow(string NoteId, decimal Amount);
}
