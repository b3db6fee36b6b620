namespace EventProcessors.Contracts;

/// <summary>Limits for <see cref="EnvelopeReader"/>.</summary>
public sealed record EnvelopeReaderOptions
{
    /// <summary>
    /// Bodies longer than this are rejected with <see cref="EventErrorCode.PayloadTooLarge"/> before
    /// parsing. Default 256 KiB: the documented events are a few KiB, and the cap keeps one rogue
    /// message from costing a worker its memory.
    /// </summary>
    public int MaxBodyBytes { get; init; } = 256 * 1024;

    /// <summary>Deepest JSON nesting accepted; deeper bodies are unreadable. Default 64, as System.Text.Json.</summary>
    public int MaxDepth { get; init; } = 64;
}
