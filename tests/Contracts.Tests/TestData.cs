using System.Text;
using EventProcessors.Contracts;

namespace EventProcessors.Contracts.Tests;

/// <summary>The seed examples (SeedExamples/, copied beside the tests) and small helpers to read them.</summary>
internal static class TestData
{
    public static string ExamplesDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "SeedExamples");

    public static byte[] Example(string relativePath) => File.ReadAllBytes(Path.Combine(ExamplesDirectory, relativePath));

    public static byte[] Utf8(string json) => Encoding.UTF8.GetBytes(json);

    /// <summary>Reads the envelope and fails the test with the reader's own error if it cannot.</summary>
    public static CloudEvent ReadEvent(byte[] body, string? messageId = null) =>
        ReadEvent(new InboundMessage(body, MessageId: messageId));

    public static CloudEvent ReadEvent(InboundMessage message)
    {
        var result = EnvelopeReader.Default.Read(message);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }

    public static EventError ReadError(byte[] body) => ReadError(new InboundMessage(body));

    public static EventError ReadError(InboundMessage message)
    {
        var result = EnvelopeReader.Default.Read(message);
        Assert.False(result.IsSuccess, "the reader accepted a malformed message");
        return result.Error;
    }

    public static T Payload<T>(CloudEvent cloudEvent) where T : class
    {
        var result = EventCatalog.ReadPayload<T>(cloudEvent);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }

    public static EventError PayloadError(CloudEvent cloudEvent)
    {
        var result = EventCatalog.ReadPayload(cloudEvent);
        Assert.False(result.IsSuccess, "the catalog accepted an invalid payload");
        return result.Error;
    }

    public static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);
}
