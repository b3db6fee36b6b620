using EventProcessors.Contracts;
using EventProcessors.Processing.Idempotency;

namespace EventProcessors.Processing.Pipeline;

/// <summary>What the host must do with the message after the pipeline ran.</summary>
public enum ProcessingStatus
{
    /// <summary>Handled now: publish the outcome, then settle (ack) the message.</summary>
    Completed,
    /// <summary>Handled before: publish the recorded outcome again (harmless, ids are deterministic), then ack.</summary>
    Duplicate,
    /// <summary>Not for this action (a topic carries many types): ack, nothing to publish.</summary>
    Ignored,
    /// <summary>Can never succeed: move the message to the dead-letter destination with <see cref="ProcessingResult.Error"/>.</summary>
    DeadLettered,
    /// <summary>
    /// May succeed later: let the transport redeliver (and dead-letter after its last attempt). With
    /// <see cref="ProcessingResult.Unavailable"/> the store did not answer: not the event's fault, so hold it without
    /// spending an attempt until the store answers.
    /// </summary>
    Retry,
}

/// <summary>The pipeline's verdict on one message.</summary>
public sealed record ProcessingResult(
    ProcessingStatus Status,
    CloudEvent? Event,
    ProcessingOutcome Outcome,
    EventError? Error = null,
    string? RetryReason = null,
    TimeSpan? RetryAfter = null)
{
    /// <summary>The store (or another dependency) is unreachable: back-pressure for the host, not an attempt (<see cref="Failures.IsOutage"/>).</summary>
    public bool Unavailable { get; init; }

    /// <summary>The event's idempotency key, for <see cref="EventPipeline.ConfirmPublishedAsync"/>.</summary>
    public IdempotencyKey? Key { get; init; }

    /// <summary>A duplicate whose outcome was already published and confirmed: nothing to publish or write again.</summary>
    public bool AlreadyPublished { get; init; }

    public static ProcessingResult Ignored(CloudEvent e) => new(ProcessingStatus.Ignored, e, ProcessingOutcome.Empty);

    public static ProcessingResult DeadLetter(CloudEvent? e, EventError error) =>
        new(ProcessingStatus.DeadLettered, e, ProcessingOutcome.Empty, error);

    public static ProcessingResult Retry(CloudEvent? e, string reason, TimeSpan? after = null) =>
        new(ProcessingStatus.Retry, e, ProcessingOutcome.Empty, RetryReason: reason, RetryAfter: after);

    public static ProcessingResult StoreUnavailable(CloudEvent? e, string reason) =>
        Retry(e, reason) with { Unavailable = true };

    /// <summary>
    /// Whether the host should publish <see cref="Outcome"/> (and write its records) before settling: a completed event,
    /// or a duplicate whose outcome is not recorded as published. Duplicates stop at the first hop.
    /// </summary>
    public bool ShouldPublish => Status is ProcessingStatus.Completed || (Status is ProcessingStatus.Duplicate && !AlreadyPublished);
}
