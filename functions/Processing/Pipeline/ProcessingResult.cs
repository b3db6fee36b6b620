using EventProcessors.Contracts;

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
    /// <summary>May succeed later: let the transport redeliver (and dead-letter after its last attempt).</summary>
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
    public static ProcessingResult Ignored(CloudEvent e) => new(ProcessingStatus.Ignored, e, ProcessingOutcome.Empty);

    public static ProcessingResult DeadLetter(CloudEvent? e, EventError error) =>
        new(ProcessingStatus.DeadLettered, e, ProcessingOutcome.Empty, error);

    public static ProcessingResult Retry(CloudEvent? e, string reason, TimeSpan? after = null) =>
        new(ProcessingStatus.Retry, e, ProcessingOutcome.Empty, RetryReason: reason, RetryAfter: after);

    /// <summary>Whether the host should publish <see cref="Outcome"/> before settling.</summary>
    public bool ShouldPublish => Status is ProcessingStatus.Completed or ProcessingStatus.Duplicate;
}
