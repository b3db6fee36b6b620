using EventProcessors.Contracts;
using EventProcessors.Processing.Idempotency;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.FunctionApp.Tests.Harness;

/// <summary>The real store with one step a test overrides (held, failing or slow); everything else goes to it unchanged.</summary>
public abstract class ForwardingIdempotencyStore(IIdempotencyStore inner) : IIdempotencyStore
{
    public virtual Task<ClaimResult> ClaimAsync(IdempotencyKey key, string eventType, bool rerunDeadLettered = false, CancellationToken cancellationToken = default) =>
        inner.ClaimAsync(key, eventType, rerunDeadLettered, cancellationToken);

    public Task<IdempotencyClaim?> RenewAsync(IdempotencyClaim claim, CancellationToken cancellationToken = default) => inner.RenewAsync(claim, cancellationToken);

    public virtual Task<bool> CompleteAsync(IdempotencyClaim claim, ProcessingOutcome outcome, CancellationToken cancellationToken = default) =>
        inner.CompleteAsync(claim, outcome, cancellationToken);

    public Task MarkPublishedAsync(IdempotencyKey key, CancellationToken cancellationToken = default) => inner.MarkPublishedAsync(key, cancellationToken);

    public Task MarkFollowOnsPublishedAsync(IdempotencyKey key, CancellationToken cancellationToken = default) => inner.MarkFollowOnsPublishedAsync(key, cancellationToken);

    public Task ReleaseAsync(IdempotencyClaim claim, string error, CancellationToken cancellationToken = default) => inner.ReleaseAsync(claim, error, cancellationToken);

    public Task DeadLetterAsync(IdempotencyClaim claim, EventError error, CancellationToken cancellationToken = default) => inner.DeadLetterAsync(claim, error, cancellationToken);

    public Task<int> SweepAsync(CancellationToken cancellationToken = default) => inner.SweepAsync(cancellationToken);
}

/// <summary>A store whose claim of <paramref name="eventId"/> waits for <paramref name="released"/>: a slow event, holding its partition.</summary>
public sealed class HeldClaim(IIdempotencyStore inner, string eventId, Task released) : ForwardingIdempotencyStore(inner)
{
    public override async Task<ClaimResult> ClaimAsync(IdempotencyKey key, string eventType, bool rerunDeadLettered = false, CancellationToken cancellationToken = default)
    {
        if (key.EventId == eventId) await released.WaitAsync(cancellationToken);
        return await base.ClaimAsync(key, eventType, rerunDeadLettered, cancellationToken);
    }
}
