using System.Diagnostics;
using EventProcessors.Contracts;
using EventProcessors.Processing.Idempotency;
using EventProcessors.Processing.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventProcessors.Processing.Pipeline;

/// <summary>
/// Processing one message, written once for every action and both hosts (DESIGN section 3):
/// read the envelope, validate the payload, claim the event, run the action, complete the claim,
/// and tell the host what to publish and how to settle the message.
/// </summary>
public sealed class EventPipeline
{
    private readonly EnvelopeReader _reader;
    private readonly IIdempotencyStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<EventPipeline> _logger;
    private readonly LeaseKeeper _leases;

    public EventPipeline(IIdempotencyStore store, IOptions<ProcessingOptions> options, TimeProvider time, ILogger<EventPipeline> logger)
    {
        _reader = new EnvelopeReader(new EnvelopeReaderOptions { MaxBodyBytes = options.Value.MaxEventBytes });
        _store = store;
        _time = time;
        _logger = logger;
        var settings = options.Value;
        var renewEvery = settings.LeaseRenewalInterval < settings.LeaseDuration / 3 ? settings.LeaseRenewalInterval : settings.LeaseDuration / 3;
        _leases = new LeaseKeeper(renewEvery, time);
    }

    public async Task<ProcessingResult> ProcessAsync(InboundMessage message, IConsumerAction action, CancellationToken cancellationToken)
    {
        var consumer = action.Definition;
        var read = _reader.Read(message);
        using var activity = ProcessingTelemetry.StartProcessing(consumer, read.Value, message);
        using var scope = BeginScope(consumer, read.Value);
        var handlerTime = Stopwatch.StartNew();
        var result = read.IsSuccess
            ? await ProcessEventAsync(read.Value, message.IsReplay, action, handlerTime, cancellationToken).ConfigureAwait(false)
            : ProcessingResult.DeadLetter(null, read.Error);
        ProcessingTelemetry.RecordResult(consumer, result, handlerTime.Elapsed, _time.GetUtcNow());
        Log(consumer, result);
        return result;
    }

    private async Task<ProcessingResult> ProcessEventAsync(CloudEvent e, bool replayed, IConsumerAction action, Stopwatch handlerTime, CancellationToken cancellationToken)
    {
        var consumer = action.Definition;
        if (!consumer.Handles(e.Type)) return NotHandled(consumer, e);
        if (!EventCatalog.TryReadPayload(e, out var payload, out var invalid)) return ProcessingResult.DeadLetter(e, invalid);
        LogPayload(e);

        var key = IdempotencyKey.For(consumer.Queue, e);
        ClaimResult claimed;
        try
        {
            claimed = await _store.ClaimAsync(key, e.Type, replayed, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Failures.IsTransient(ex, cancellationToken))
        {
            return Failed(e, ex, "idempotency store unavailable");
        }

        switch (claimed.Status)
        {
            case ClaimStatus.Completed:
                return new ProcessingResult(ProcessingStatus.Duplicate, e, claimed.Outcome!) { Key = key, AlreadyPublished = claimed.Published };
            case ClaimStatus.DeadLettered: return ProcessingResult.DeadLetter(e, claimed.Error!);
            case ClaimStatus.InProgress: return ProcessingResult.Retry(e, "another worker holds this event's lease", claimed.RetryAfter);
        }

        var context = new ActionContext(e, payload, consumer, _time);
        await using var lease = new LeaseRenewal(_leases, _store, claimed.Claim!, _logger, cancellationToken);
        try
        {
            handlerTime.Restart();
            await action.HandleAsync(context, lease.Token).ConfigureAwait(false);
            handlerTime.Stop();
        }
        catch (EventValidationException invalidInput)
        {
            var claim = await lease.StopAsync().ConfigureAwait(false);
            if (claim is not null) await SettleQuietlyAsync(() => _store.DeadLetterAsync(claim, invalidInput.Error, CancellationToken.None)).ConfigureAwait(false);
            return ProcessingResult.DeadLetter(e, invalidInput.Error);
        }
        catch (Exception ex)
        {
            // Unknown failures and shutdown are retried too: the transport dead-letters after its last
            // attempt. Releasing the claim lets the next delivery run at once instead of after the lease.
            var claim = await lease.StopAsync().ConfigureAwait(false);
            if (claim is null) return LeaseLost(e);
            await SettleQuietlyAsync(() => _store.ReleaseAsync(claim, ex.ToString(), CancellationToken.None)).ConfigureAwait(false);
            return Failed(e, ex, "action failed");
        }

        var held = await lease.StopAsync().ConfigureAwait(false);
        if (held is null) return LeaseLost(e);
        var outcome = context.Outcome;
        try
        {
            if (await _store.CompleteAsync(held, outcome, cancellationToken).ConfigureAwait(false))
                return new ProcessingResult(ProcessingStatus.Completed, e, outcome) { Key = key };
        }
        catch (Exception ex) when (Failures.IsTransient(ex, cancellationToken))
        {
            // If the completion did land, its ETag moved and this release changes nothing; otherwise the next delivery runs at once.
            await SettleQuietlyAsync(() => _store.ReleaseAsync(held, ex.ToString(), CancellationToken.None)).ConfigureAwait(false);
            return Failed(e, ex, "could not record completion");
        }
        return LeaseLost(e);
    }

    /// <summary>
    /// Records that <paramref name="result"/>'s follow-ons were published and confirmed (and its records written), so
    /// duplicates of the event stop here. Hosts call it after their confirmed publish; it does nothing for results
    /// with nothing published, and a failure to record only means a later duplicate republishes (harmless), so it
    /// never throws for a store failure.
    /// </summary>
    public Task ConfirmPublishedAsync(ProcessingResult result, CancellationToken cancellationToken)
    {
        if (!result.ShouldPublish || result.Key is not { } key) return Task.CompletedTask;
        if (result.Status == ProcessingStatus.Completed && result.Outcome.IsEmpty) return Task.CompletedTask; // marked at completion
        return MarkQuietlyAsync(key, _store.MarkPublishedAsync, cancellationToken);
    }

    /// <summary>
    /// Records that <paramref name="result"/>'s follow-ons were published and confirmed while its records are still to be
    /// written by someone else (the Function App's SQL output binding): duplicates then publish nothing but hand the
    /// records over again. An outcome without records is marked published outright. Never throws for a store failure.
    /// </summary>
    public Task ConfirmFollowOnsPublishedAsync(ProcessingResult result, CancellationToken cancellationToken)
    {
        if (!result.ShouldPublish || result.Key is not { } key || result.Outcome.Events.Count == 0) return Task.CompletedTask;
        return result.Outcome.Records.Count == 0
            ? ConfirmPublishedAsync(result, cancellationToken)
            : MarkQuietlyAsync(key, _store.MarkFollowOnsPublishedAsync, cancellationToken);
    }

    private async Task MarkQuietlyAsync(IdempotencyKey key, Func<IdempotencyKey, CancellationToken, Task> mark, CancellationToken cancellationToken)
    {
        try
        {
            await mark(key, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Failures.IsTransient(ex, cancellationToken))
        {
            _logger.LogWarning("Could not record that {EventId}'s follow-ons were published ({Reason}); a duplicate will republish them.", key.EventId, ex.Message);
        }
    }

    /// <summary>
    /// Claims the writing of the dead letter of the message at <paramref name="position"/> (a place in a stream that stays the same on every
    /// delivery of that message, such as a Kafka record's partition and offset) for <paramref name="consumer"/>; null when that letter is
    /// written already. A message redelivered after a crash between its dead letter and its settlement is then not dead-lettered twice.
    /// A claim left by a worker that crashed before writing is waited out (its lease) and taken over.
    /// </summary>
    public async Task<IdempotencyClaim?> ClaimDeadLetterAsync(ConsumerDefinition consumer, (string Stream, string Position) position, CancellationToken cancellationToken)
    {
        var key = new IdempotencyKey(consumer.Queue, "", position.Stream, position.Position);
        while (true)
        {
            var claimed = await _store.ClaimAsync(key, DeadLetterRecordType, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (claimed.Status != ClaimStatus.InProgress) return claimed.Claim; // Completed: the letter is written
            await Task.Delay(claimed.RetryAfter ?? TimeSpan.FromSeconds(1), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Records that the claimed dead letter is written (completed with nothing to publish). Failing to only risks one more letter after a crash.</summary>
    public Task DeadLetterWrittenAsync(IdempotencyClaim claim) =>
        SettleQuietlyAsync(() => _store.CompleteAsync(claim, ProcessingOutcome.Empty, CancellationToken.None));

    /// <summary>The dead letter could not be written: the next delivery claims it again at once.</summary>
    public Task DeadLetterFailedAsync(IdempotencyClaim claim, Exception error) =>
        SettleQuietlyAsync(() => _store.ReleaseAsync(claim, error.Message, CancellationToken.None));

    /// <summary>The event type of the idempotency records that mark dead letters written.</summary>
    public const string DeadLetterRecordType = "dead-letter";

    /// <summary>An unreachable store is back-pressure (<see cref="ProcessingResult.Unavailable"/>); anything else transient is an attempt.</summary>
    private static ProcessingResult Failed(CloudEvent e, Exception ex, string what) => Failures.IsOutage(ex)
        ? ProcessingResult.StoreUnavailable(e, $"{what}: {ex.Message}")
        : ProcessingResult.Retry(e, $"{what}: {ex.Message}");

    // The lease expired and another worker took over; its completion is the one that counts.
    private static ProcessingResult LeaseLost(CloudEvent e) => ProcessingResult.Retry(e, "lease lost to another worker before completion");

    /// <summary>
    /// The MES topic carries the whole plant's events, so a consumer group ignores what it does not
    /// consume. A Collector queue only receives the types bound to it, so anything else there was
    /// misrouted and is dead-lettered rather than silently dropped.
    /// </summary>
    private static ProcessingResult NotHandled(ConsumerDefinition consumer, CloudEvent e) => consumer.Bus == EventBus.Mes
        ? ProcessingResult.Ignored(e)
        : ProcessingResult.DeadLetter(e, new EventError(EventErrorCode.UnknownType, EventCatalog.IsKnown(e.Type)
            ? $"{consumer.Queue} does not consume {e.Type}"
            : $"unknown event type '{e.Type}'", "$.type"));

    /// <summary>A failed release or dead-letter write only delays the verdict until the lease expires (or this instance looks again).</summary>
    private async Task SettleQuietlyAsync(Func<Task> settle)
    {
        try { await settle().ConfigureAwait(false); }
        catch (Exception ex) when (Failures.IsTransient(ex))
        {
            _logger.LogWarning(ex, "Could not record the verdict; the lease will expire and the event will be taken over.");
        }
    }

    private IDisposable? BeginScope(ConsumerDefinition consumer, CloudEvent? e) => _logger.BeginScope(new EventLogScope(consumer, e));

    /// <summary>
    /// Handled and duplicate events are logged at Debug: one line per message through a console logger costs a large share
    /// of the worker's time, and the handled/duplicate counters carry the counts. Dead letters and retries stay warnings.
    /// </summary>
    private void Log(ConsumerDefinition consumer, ProcessingResult result)
    {
        // Without the check, every message would box its counts into a params array for a line nobody writes.
        if (result.Status is ProcessingStatus.Completed or ProcessingStatus.Duplicate && !_logger.IsEnabled(LogLevel.Debug)) return;
        switch (result.Status)
        {
            case ProcessingStatus.Completed:
                _logger.LogDebug("{Consumer} handled {EventType} {EventId}: {Events} events, {Records} records",
                    consumer.Name, result.Event!.Type, result.Event.Id, result.Outcome.Events.Count, result.Outcome.Records.Count);
                break;
            case ProcessingStatus.Duplicate:
                _logger.LogDebug("{Consumer} suppressed duplicate {EventType} {EventId}", consumer.Name, result.Event!.Type, result.Event.Id);
                break;
            case ProcessingStatus.DeadLettered:
                _logger.LogWarning("{Consumer} dead-lettered {EventType} {EventId}: {Reason}", consumer.Name, result.Event?.Type, result.Event?.Id, result.Error);
                break;
            case ProcessingStatus.Retry:
                _logger.LogWarning("{Consumer} will retry {EventType} {EventId}: {Reason}", consumer.Name, result.Event?.Type, result.Event?.Id, result.RetryReason);
                break;
        }
    }

    /// <summary>Payloads classified confidential or restricted are never logged.</summary>
    private void LogPayload(CloudEvent e)
    {
        if (!_logger.IsEnabled(LogLevel.Debug) || e.DataClassification is DataClassification.Confidential or DataClassification.Restricted) return;
        _logger.LogDebug("Payload of {EventType} {EventId}: {Payload}", e.Type, e.Id, e.Data?.GetRawText());
    }
}
