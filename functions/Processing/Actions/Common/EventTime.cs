using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Common;

public static class EventTime
{
    /// <summary>
    /// When the handled event happened. Records date themselves by it rather than by the clock, so a re-run
    /// after a crash writes the same rows; the clock is only the fallback for an event without a time.
    /// </summary>
    public static DateTimeOffset OccurredAt(this ActionContext context) => context.Event.Time ?? context.Time.GetUtcNow();
}
