using EventProcessors.Contracts;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Idempotency;

/// <summary>Lifecycle of one (consumer, event) pair.</summary>
public enum IdempotencyStatus { Processing, Completed, Failed, DeadLettered }

/// <summary>Identifies one event for one consumer: idempotency is per (consumer, tenant, event source, event id).</summary>
/// <param name="Consumer">The consumer id (the action's queue or consumer group).</param>
/// <param name="Tenant">The event's tenant ("" for none). Sources are shared across tenants, so two tenants' events
/// may carry the same source and id and must still be two events.</param>
/// <param name="EventSource">CloudEvents <c>source</c>; ids are unique within a source.</param>
/// <param name="EventId">CloudEvents <c>id</c>.</param>
public sealed record IdempotencyKey(string Consumer, string Tenant, string EventSource, string EventId)
{
    public static IdempotencyKey For(string consumer, CloudEvent e) => new(consumer, e.TenantId ?? "", e.Source, e.Id);
}

/// <summary>The right to run the handler for one key, held until <see cref="LeaseExpiresAt"/>.</summary>
public sealed record IdempotencyClaim(IdempotencyKey Key, string Owner, string ETag, int Attempt, DateTimeOffset LeaseExpiresAt)
{
    /// <summary>The PartitionKey and RowKey of the key's record, which follow from <see cref="Key"/>: kept by the store that
    /// made the claim, so that completing it does not work them out again.</summary>
    internal (string PartitionKey, string RowKey)? Location { get; init; }
}

public enum ClaimStatus
{
    /// <summary>This caller holds the claim and runs the handler (<see cref="ClaimResult.Claim"/>).</summary>
    Acquired,
    /// <summary>Already completed: replay <see cref="ClaimResult.Outcome"/>, unless <see cref="ClaimResult.Published"/>.</summary>
    Completed,
    /// <summary>Already dead-lettered: dead-letter again with <see cref="ClaimResult.Error"/>.</summary>
    DeadLettered,
    /// <summary>Another worker holds a live lease: try again after <see cref="ClaimResult.RetryAfter"/>.</summary>
    InProgress,
}

public sealed record ClaimResult(
    ClaimStatus Status,
    IdempotencyClaim? Claim = null,
    ProcessingOutcome? Outcome = null,
    EventError? Error = null,
    TimeSpan? RetryAfter = null,
    bool Published = false);

/// <summary>
/// The idempotency records of DESIGN section 3. <see cref="ClaimAsync"/> decides who runs an event;
/// the holder then completes, fails or dead-letters it. Every transition after the claim is
/// conditional on the claim's ETag, so a worker whose lease was taken over cannot overwrite the new holder.
/// </summary>
public interface IIdempotencyStore
{
    /// <summary>
    /// Claims the key to run its handler, or says why not (completed: replay the outcome; dead-lettered; another worker's
    /// lease). With <paramref name="rerunDeadLettered"/> a dead-lettered record is taken over like a failed one: the
    /// operator replayed the event after fixing its cause.
    /// </summary>
    Task<ClaimResult> ClaimAsync(IdempotencyKey key, string eventType, bool rerunDeadLettered = false, CancellationToken cancellationToken = default);

    /// <summary>
    /// Extends the claim's lease while its action runs (conditional on the claim's ETag). Returns the renewed claim, or
    /// null if the lease was lost to another worker (the action's result will not count).
    /// </summary>
    Task<IdempotencyClaim?> RenewAsync(IdempotencyClaim claim, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks the claim completed and stores the outcome. Returns false if the lease was lost to another worker. An
    /// outcome with neither events nor records is recorded as published at once: there is nothing to publish. When it
    /// throws, the caller releases the claim (<see cref="ReleaseAsync"/>): if the completion did land, that changes nothing.
    /// </summary>
    Task<bool> CompleteAsync(IdempotencyClaim claim, ProcessingOutcome outcome, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records that the completed outcome's follow-ons were published (confirmed) and its records written, so that a
    /// duplicate republishes nothing. One merge; a lost marker only means one more republish of a duplicate.
    /// </summary>
    Task MarkPublishedAsync(IdempotencyKey key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records that the completed outcome's follow-ons were published (confirmed) while its records are written later by
    /// someone else (the Function App's SQL output binding, after the function returned): a duplicate then gets the
    /// outcome without its events, so it publishes nothing and writes the records again (upserts by key).
    /// </summary>
    Task MarkFollowOnsPublishedAsync(IdempotencyKey key, CancellationToken cancellationToken = default);

    /// <summary>Releases the claim after a transient failure so the next delivery can run at once.</summary>
    Task ReleaseAsync(IdempotencyClaim claim, string error, CancellationToken cancellationToken = default);

    /// <summary>Records that the event can never succeed, so its duplicates dead-letter without running.</summary>
    Task DeadLetterAsync(IdempotencyClaim claim, EventError error, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes records past their retention whose event is settled (completed or dead-lettered; a record still
    /// processing or released for a retry is kept). Reads only the expired part of the expiry index, not the
    /// whole table. Returns how many records were deleted.
    /// </summary>
    Task<int> SweepAsync(CancellationToken cancellationToken = default);
}
