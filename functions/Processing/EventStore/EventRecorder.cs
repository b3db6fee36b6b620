using EventProcessors.Contracts;
using Microsoft.Extensions.Logging;

namespace EventProcessors.Processing.EventStore;

/// <summary>What the audit consumer did with one message.</summary>
public enum RecordOutcome { Appended, Duplicate, Unreadable, DeadLetter }

/// <summary>
/// The audit consumer, written once for both hosts: every message on a bus is appended to the event store once (a
/// redelivery or a second copy finds its (tenant, source, id) stored and changes nothing but the count of times seen),
/// every message in a dead-letter destination is recorded against the event it refers to. Nothing here runs an
/// action or touches an idempotency record. Payloads never reach the log: only ids, types and tenants do.
/// </summary>
public sealed class EventRecorder
{
    private readonly IEventStore _store;
    private readonly EventCapture _capture;
    private readonly DeadLetterCapture _deadLetters;
    private readonly TimeProvider _time;
    private readonly ILogger<EventRecorder> _logger;

    public EventRecorder(IEventStore store, EventCapture capture, TimeProvider time, ILogger<EventRecorder> logger)
    {
        _store = store;
        _capture = capture;
        _deadLetters = new DeadLetterCapture(capture);
        _time = time;
        _logger = logger;
    }

    public EventCapture Capture => _capture;

    /// <summary>Appends the message as an event and returns it as stored. Storage failures throw: the host must not settle the message then.</summary>
    public async Task<(RecordOutcome Outcome, StoredEvent Event)> RecordAsync(InboundMessage message, TransportInfo transport, CancellationToken cancellationToken)
    {
        var e = _capture.Capture(message, transport, _time.GetUtcNow());
        var appended = await _store.AppendAsync(e, cancellationToken).ConfigureAwait(false);
        // A copy returns the event as first stored (its first arrival), so whatever is derived from it is the same every time.
        if (!appended) e = await _store.GetAsync(e.Tenant, e.Source, e.Id, cancellationToken).ConfigureAwait(false) ?? e;
        var outcome = !appended ? RecordOutcome.Duplicate : e.ReadError is null ? RecordOutcome.Appended : RecordOutcome.Unreadable;
        if (outcome == RecordOutcome.Unreadable)
            _logger.LogWarning("Event store kept an unreadable message {Id} from {Destination}: {Error}", e.Id, transport.Destination, e.ReadError);
        else
            _logger.LogDebug("Event store {Outcome} {Type} {Id} of tenant {Tenant}", outcome, e.Type, e.Id, e.Tenant);
        return (outcome, e);
    }

    /// <summary>Records a message found in a dead-letter destination.</summary>
    public async Task<StoredDeadLetter> RecordDeadLetterAsync(InboundMessage message, TransportInfo transport, CancellationToken cancellationToken)
    {
        var letter = _deadLetters.Capture(message, transport, _time.GetUtcNow());
        await _store.AppendDeadLetterAsync(letter, cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Event store recorded dead letter of {EventId} by {Consumer}: {Code}", letter.EventId, letter.Consumer, letter.Code);
        return letter;
    }
}
