namespace EventProcessors.Processing.Idempotency;

/// <summary>An idempotency record as it stands: how far one consumer got with one event.</summary>
public sealed record IdempotencyRecord(
    IdempotencyStatus Status,
    int Attempts,
    string? LastErrorCode,
    string? LastError,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? CompletedAt);

/// <summary>
/// Reading and forgetting idempotency records, for the event store: a trace joins each consumer's outcome from here
/// rather than recording it twice, and a replay of a rebuildable projection forgets the records it re-runs.
/// </summary>
public interface IIdempotencyRecords
{
    /// <summary>The record of <paramref name="key"/>, or null when the consumer never claimed the event (or it was swept).</summary>
    Task<IdempotencyRecord?> ReadAsync(IdempotencyKey key, CancellationToken cancellationToken = default);

    /// <summary>Deletes the record of <paramref name="key"/>, so the next delivery runs the action again.</summary>
    Task ForgetAsync(IdempotencyKey key, CancellationToken cancellationToken = default);
}
