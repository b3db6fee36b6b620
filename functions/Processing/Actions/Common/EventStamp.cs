using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Common;

/// <summary>
/// Where an event stands among the changes to one entity: the time it happened, then its id to break ties.
/// Projections keep the newest by this order, so every worker ends with the same state whatever order the
/// events arrive in (Kafka orders only within a partition, and redeliveries come late).
/// </summary>
public sealed record EventStamp(DateTimeOffset At, string EventId) : IComparable<EventStamp>
{
    public static EventStamp Of(ActionContext context) => new(context.OccurredAt(), context.Event.Id);

    public int CompareTo(EventStamp? other) =>
        other is null ? 1
        : At != other.At ? At.CompareTo(other.At)
        : string.CompareOrdinal(EventId, other.EventId);

    /// <summary>Whether this change comes after <paramref name="other"/> (anything comes after nothing).</summary>
    public bool IsNewerThan(EventStamp? other) => CompareTo(other) > 0;
}
