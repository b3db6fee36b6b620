using System.Globalization;
using System.Text;
using EventProcessors.Contracts;
using EventProcessors.LocalHost.Records;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.LocalHost.Transport;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Telemetry;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace EventProcessors.LocalHost.Worker;

/// <summary>
/// One action's consumer, written once for every transport. Per delivery: run the pipeline (retrying transient
/// failures in place with exponential backoff and jitter; waiting out another worker's lease); then
/// <list type="bullet">
/// <item>Completed or Duplicate: write the outcome's records, publish its events to the action's exchange (each
/// confirmed), and only then ack;</item>
/// <item>Ignored: ack;</item>
/// <item>DeadLettered, or retries exhausted: publish the original message to the dead-letter exchange with the reason
/// and original routing in headers, then ack;</item>
/// <item>the store or broker unreachable (<see cref="Failures.IsOutage"/>): hold the delivery at the shared
/// <see cref="OutageGate"/> without spending an attempt, and process it again once a probe finds them answering; if
/// the delivery's channel is gone meanwhile, the broker already has it back;</item>
/// <item>anything else that fails on the way (shutdown, a bug): requeue, so the delivery comes again and the
/// idempotency record turns it into a replay.</item>
/// </list>
/// A duplicate whose outcome is recorded as published is acked without publishing anything (duplicates stop here).
/// </summary>
public sealed class ActionWorker
{
    private readonly IConsumerAction _action;
    private readonly EventPipeline _pipeline;
    private readonly IMessageTransport _transport;
    private readonly RecordWriter _records;
    private readonly ITimelineObserver _observer;
    // Every delivery makes three entries (received, verdict with its summary, published): not worth making when nobody watches.
    private readonly bool _watched;
    private readonly OutageGate _gate;
    private readonly WorkerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline<ProcessingResult> _retry;

    public ActionWorker(IConsumerAction action, EventPipeline pipeline, IMessageTransport transport, RecordWriter records,
        ITimelineObserver observer, OutageGate gate, WorkerOptions options, TimeProvider time, ILogger logger)
    {
        _gate = gate;
        _action = action;
        _pipeline = pipeline;
        _transport = transport;
        _records = records;
        _observer = observer;
        _watched = observer is not CompositeTimelineObserver { IsWatched: false };
        _options = options;
        _time = time;
        _logger = logger;
        _retry = BuildRetry();
    }

    public ConsumerDefinition Consumer => _action.Definition;

    /// <summary>The exchange this action's follow-ons go to: Collector actions to collector-events, MES actions to mes-events.</summary>
    public string Exchange => TopologyDefinition.ExchangeOf(Consumer.Bus);

    public Task<ISubscription> StartAsync(CancellationToken cancellationToken) =>
        _transport.SubscribeAsync(Consumer.Queue, _options.Prefetch, HandleAsync, cancellationToken);

    /// <summary>Processes and settles one delivery. Never throws: whatever goes wrong leaves the delivery requeued or held.</summary>
    public async Task HandleAsync(Delivery delivery, CancellationToken stopping)
    {
        BacklogTelemetry.InFlight(Consumer.Name, +1);
        try
        {
            await HandleCoreAsync(delivery, stopping).ConfigureAwait(false);
        }
        finally
        {
            BacklogTelemetry.InFlight(Consumer.Name, -1);
        }
    }

    private async Task HandleCoreAsync(Delivery delivery, CancellationToken stopping)
    {
        if (_watched)
            _observer.Record(new TimelineEntry(_time.GetUtcNow(), TimelineKind.Received, Consumer.Name, delivery.Message.MessageId, delivery.RoutingKey,
                Detail: delivery.Redelivered ? "redelivered" : null));
        DateTimeOffset? heldSince = null;
        while (true)
        {
            ProcessingResult? result = null;
            var probe = false;
            string outage;
            try
            {
                probe = await _gate.EnterAsync(stopping).ConfigureAwait(false);
                var attempts = new Attempts();
                result = await ProcessAsync(delivery, attempts, stopping).ConfigureAwait(false);
                if (result.Unavailable)
                {
                    outage = result.RetryReason!;
                }
                else
                {
                    _gate.Answered(probe);
                    probe = false;
                    await SettleAsync(delivery, result, attempts.Total, stopping).ConfigureAwait(false);
                    return;
                }
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested && Failures.IsOutage(ex))
            {
                outage = ex.Message;
            }
            catch (Exception ex)
            {
                _gate.Abandon(probe);
                var shuttingDown = stopping.IsCancellationRequested;
                if (!shuttingDown) _logger.LogWarning(ex, "{Consumer} could not finish {Type} {MessageId}; it goes back to the queue.", Consumer.Name, delivery.RoutingKey, delivery.Message.MessageId);
                _observer.Record(TimelineEntries.For(shuttingDown ? TimelineKind.Requeued : TimelineKind.Failed, Consumer.Name, result?.Event, _time,
                    shuttingDown ? "shutting down" : ex.Message));
                await RequeueQuietlyAsync(delivery).ConfigureAwait(false);
                return;
            }

            _gate.Unreachable(probe, outage);
            if (!delivery.CanSettle)
            {
                // The broker went away with the channel and has put the delivery back itself; holding it is pointless.
                _observer.Record(TimelineEntries.For(TimelineKind.Requeued, Consumer.Name, result?.Event, _time, $"channel lost: {outage}"));
                return;
            }
            if (heldSince is null)
            {
                heldSince = _time.GetUtcNow();
                _observer.Record(TimelineEntries.For(TimelineKind.Held, Consumer.Name, result?.Event, _time, outage));
            }
            else if (_time.GetUtcNow() - heldSince > _options.OutageHoldLimit && await PutBackAsync(delivery, stopping).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>
    /// The pipeline with in-place retries (see <see cref="BuildRetry"/>); an Unavailable result is returned at once. The first
    /// attempt runs outside Polly: most deliveries succeed at once, and only one that asks for a retry enters the retry
    /// pipeline, which is handed that first result (not run again) and so waits and counts exactly as if it had run it.
    /// </summary>
    private async Task<ProcessingResult> ProcessAsync(Delivery delivery, Attempts attempts, CancellationToken stopping)
    {
        var first = await AttemptAsync(delivery, attempts, stopping).ConfigureAwait(false);
        if (!WantsRetry(first, attempts)) return first;
        var context = ResilienceContextPool.Shared.Get(stopping);
        context.Properties.Set(AttemptsKey, attempts);
        try
        {
            var pending = first;
            return await _retry.ExecuteAsync(async (ctx, counts) =>
            {
                if (Interlocked.Exchange(ref pending, null) is { } already) return already;
                return await AttemptAsync(delivery, counts, ctx.CancellationToken).ConfigureAwait(false);
            }, context, attempts).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async Task<ProcessingResult> AttemptAsync(Delivery delivery, Attempts counts, CancellationToken cancellationToken)
    {
        counts.Total++;
        var attempt = await _pipeline.ProcessAsync(delivery.Message, _action, cancellationToken).ConfigureAwait(false);
        if (attempt is { Status: ProcessingStatus.Retry, Unavailable: false })
        {
            if (attempt.RetryAfter is null) counts.Failures++;
            else counts.LeaseWaits++;
        }
        return attempt;
    }

    /// <summary>A result the retry strategy waits on and runs again: a transient failure with attempts left, or a lease held elsewhere.</summary>
    private bool WantsRetry(ProcessingResult result, Attempts counts) =>
        _options.MaxAttempts > 1 && result is { Status: ProcessingStatus.Retry, Unavailable: false }
        && (result.RetryAfter is not null || counts.Failures < _options.MaxAttempts);

    /// <summary>
    /// A delivery held past <see cref="WorkerOptions.OutageHoldLimit"/> goes back to its queue as a fresh copy (confirmed,
    /// then the original acked), before the broker's consumer timeout would return it and count a delivery. False if the
    /// broker did not take the copy; the delivery is then held on.
    /// </summary>
    private async Task<bool> PutBackAsync(Delivery delivery, CancellationToken stopping)
    {
        var headers = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in delivery.RawHeaders)
            if (key != "x-delivery-count") headers[key] = value;
        if (delivery.Exchange.Length > 0 || !headers.ContainsKey(DeadLetterHeaders.OriginalExchange))
        {
            headers[DeadLetterHeaders.OriginalExchange] = delivery.Exchange;
            headers[DeadLetterHeaders.OriginalRoutingKey] = delivery.RoutingKey;
        }
        try
        {
            await _transport.PublishAsync("", delivery.Queue,
                new OutboundMessage(delivery.Message.Body, delivery.Message.ContentType, delivery.Message.MessageId, headers, Type: delivery.RoutingKey), stopping).ConfigureAwait(false);
            await delivery.AckAsync(stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (!stopping.IsCancellationRequested && Failures.IsOutage(ex))
        {
            return false;
        }
        _observer.Record(new TimelineEntry(_time.GetUtcNow(), TimelineKind.Requeued, Consumer.Name, delivery.Message.MessageId, delivery.RoutingKey,
            Detail: $"held {_options.OutageHoldLimit} during an outage: put back as a fresh copy"));
        return true;
    }

    private async Task SettleAsync(Delivery delivery, ProcessingResult result, int attempts, CancellationToken stopping)
    {
        var e = result.Event;
        switch (result.Status)
        {
            case ProcessingStatus.Completed:
            case ProcessingStatus.Duplicate:
                if (_watched)
                    _observer.Record(TimelineEntries.For(result.Status == ProcessingStatus.Completed ? TimelineKind.Completed : TimelineKind.Duplicate,
                        Consumer.Name, e, _time, result.AlreadyPublished ? "outcome already published" : Summary(result.Outcome), attempts));
                if (result.ShouldPublish)
                {
                    await _records.WriteAsync(result.Outcome.Records, stopping).ConfigureAwait(false);
                    foreach (var followOn in result.Outcome.Events)
                    {
                        await PublishAsync(followOn, stopping).ConfigureAwait(false);
                        if (_watched) _observer.Record(TimelineEntries.For(TimelineKind.Published, Consumer.Name, followOn, _time, exchange: Exchange));
                    }
                    await _pipeline.ConfirmPublishedAsync(result, stopping).ConfigureAwait(false);
                }
                await delivery.AckAsync(stopping).ConfigureAwait(false);
                break;
            case ProcessingStatus.Ignored:
                _observer.Record(TimelineEntries.For(TimelineKind.Ignored, Consumer.Name, e, _time, attempt: attempts));
                await delivery.AckAsync(stopping).ConfigureAwait(false);
                break;

            case ProcessingStatus.DeadLettered:
                await DeadLetterAsync(delivery, e, new DeadLetterReason(result.Error!.Code.ToString(), result.Error.Message, result.Error.Path), attempts, stopping).ConfigureAwait(false);
                break;

            case ProcessingStatus.Retry when result.RetryAfter is not null:
                // Another worker holds the event's lease: not a failure of the event. Give it back; the broker redelivers.
                _observer.Record(TimelineEntries.For(TimelineKind.Requeued, Consumer.Name, e, _time, result.RetryReason, attempts));
                await delivery.RequeueAsync(stopping).ConfigureAwait(false);
                break;

            case ProcessingStatus.Retry:
                ProcessingTelemetry.RecordDeadLetter(Consumer, e?.Type, RetriesExhausted);
                await DeadLetterAsync(delivery, e, new DeadLetterReason(RetriesExhausted, $"gave up after {attempts} attempts: {result.RetryReason}", null),
                    attempts, stopping).ConfigureAwait(false);
                break;
        }
    }

    private const string RetriesExhausted = "RetriesExhausted";

    /// <summary>One follow-on, inside its producer span; the message's headers carry that span's trace context.</summary>
    private async Task PublishAsync(CloudEvent followOn, CancellationToken stopping)
    {
        using var span = MessageTracing.StartPublish(_transport.Name, Exchange, followOn);
        try
        {
            await _transport.PublishAsync(Exchange, followOn.Type, OutboundMessage.From(followOn, span), stopping).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            MessageTracing.Failed(span, ex);
            throw;
        }
    }

    private async Task DeadLetterAsync(Delivery delivery, CloudEvent? e, DeadLetterReason why, int attempts, CancellationToken stopping)
    {
        var (code, path) = (why.Code, why.Path);
        var reason = path is null ? $"{code}: {why.Message}" : $"{code} at {path}: {why.Message}";
        var headers = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in delivery.RawHeaders) headers[key] = value;
        headers[DeadLetterHeaders.Reason] = reason;
        headers[DeadLetterHeaders.Code] = code;
        if (path is not null) headers[DeadLetterHeaders.Path] = path;
        headers[DeadLetterHeaders.Consumer] = Consumer.Name;
        if (e is not null) headers[DeadLetterHeaders.EventId] = e.Id;
        headers[DeadLetterHeaders.Attempts] = attempts;
        // A replayed dead letter arrives through the default exchange and still carries where it first went.
        if (delivery.Exchange.Length > 0 || !headers.ContainsKey(DeadLetterHeaders.OriginalExchange))
        {
            headers[DeadLetterHeaders.OriginalExchange] = delivery.Exchange;
            headers[DeadLetterHeaders.OriginalRoutingKey] = delivery.RoutingKey;
        }
        headers[DeadLetterHeaders.FirstDeathQueue] = delivery.Queue;
        var message = new OutboundMessage(delivery.Message.Body, delivery.Message.ContentType, delivery.Message.MessageId, headers,
            e?.CorrelationId, e?.Type ?? delivery.RoutingKey, e?.Time);
        // A message is the same on redelivery (its place in a stream, or its content): its dead letter is written once, even when a
        // crash came between it and the ack.
        var claim = await _pipeline.ClaimDeadLetterAsync(Consumer, delivery.Position, stopping).ConfigureAwait(false);
        if (claim is null)
        {
            _observer.Record(new TimelineEntry(_time.GetUtcNow(), TimelineKind.Duplicate, Consumer.Name, e?.Id ?? delivery.Message.MessageId,
                e?.Type ?? delivery.RoutingKey, e?.CorrelationId ?? e?.Id, e?.CausationId, "dead letter already written", attempts));
            await delivery.AckAsync(stopping).ConfigureAwait(false);
            return;
        }
        string destination;
        try
        {
            using (MessageTracing.StartSend(_transport.Name, delivery.DeadLetterDestination, Destinations.DeadLetterQueue(delivery.Queue),
                delivery.Message.MessageId, e?.CorrelationId ?? e?.Id, e?.Type, e?.TenantId, MessageTracing.ParentOf(e, delivery.Message)))
                destination = await delivery.WriteDeadLetterAsync(_transport, message, why, Consumer.Name, attempts, stopping).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await _pipeline.DeadLetterFailedAsync(claim, ex).ConfigureAwait(false);
            throw;
        }
        await _pipeline.DeadLetterWrittenAsync(claim).ConfigureAwait(false);
        _observer.Record(new TimelineEntry(_time.GetUtcNow(), TimelineKind.DeadLettered, Consumer.Name, e?.Id ?? delivery.Message.MessageId,
            e?.Type ?? delivery.RoutingKey, e?.CorrelationId ?? e?.Id, e?.CausationId, reason, attempts, destination));
        await delivery.AckAsync(stopping).ConfigureAwait(false);
    }

    private async Task RequeueQuietlyAsync(Delivery delivery)
    {
        try
        {
            await delivery.RequeueAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The channel is gone (broker restart, connection lost): the broker requeues the delivery itself.
            _logger.LogDebug(ex, "Requeue of {MessageId} failed; the broker will redeliver it.", delivery.Message.MessageId);
        }
    }

    /// <summary>
    /// Transient failures are retried up to <see cref="WorkerOptions.MaxAttempts"/> with exponential backoff and jitter. A
    /// result with a RetryAfter (another worker holds the event's lease) is not a failure: it is waited out with the same
    /// backoff, never longer than the RetryAfter nor <see cref="WorkerOptions.MaxRetryAfter"/>, and does not use up attempts,
    /// so an event whose worker died is taken over as soon as its lease expires, and one still being worked on elsewhere is
    /// answered from the record as soon as that worker completes it.
    /// </summary>
    private ResiliencePipeline<ProcessingResult> BuildRetry()
    {
        var builder = new ResiliencePipelineBuilder<ProcessingResult> { TimeProvider = _time };
        if (_options.MaxAttempts <= 1) return builder.Build();
        return builder.AddRetry(new RetryStrategyOptions<ProcessingResult>
        {
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { } result && WantsRetry(result, CountsOf(args.Context))),
            MaxRetryAttempts = int.MaxValue,
            DelayGenerator = args =>
            {
                var counts = CountsOf(args.Context);
                var result = args.Outcome.Result!;
                var delay = result.RetryAfter is { } after
                    ? RetryBackoff.Delay(_options.RetryBaseDelay, counts.LeaseWaits, Min(Max(after, TimeSpan.FromMilliseconds(20)), _options.MaxRetryAfter))
                    : RetryBackoff.Delay(_options.RetryBaseDelay, counts.Failures, _options.RetryMaxDelay);
                return ValueTask.FromResult<TimeSpan?>(delay);
            },
            OnRetry = args =>
            {
                var result = args.Outcome.Result;
                _observer.Record(TimelineEntries.For(TimelineKind.Retrying, Consumer.Name, result?.Event, _time,
                    $"{result?.RetryReason} (next attempt in {args.RetryDelay.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms)",
                    CountsOf(args.Context).Total + 1));
                return ValueTask.CompletedTask;
            },
        }).Build();
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static Attempts CountsOf(ResilienceContext context) => context.Properties.GetValue(AttemptsKey, new Attempts());

    private static readonly ResiliencePropertyKey<Attempts> AttemptsKey = new("eventprocessors.attempts");

    /// <summary>Processing runs of one delivery: all of them, the transient failures, the waits for another worker's lease.</summary>
    private sealed class Attempts
    {
        public int Total { get; set; }
        public int Failures { get; set; }
        public int LeaseWaits { get; set; }
    }

    /// <summary>"1 event(s), 3 record(s) → DeliveryNote×1, DeliveryNoteLine×2": tables in first-seen order, counted without LINQ (once per delivery).</summary>
    private static string Summary(ProcessingOutcome outcome)
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{outcome.Events.Count} event(s), {outcome.Records.Count} record(s)");
        var records = outcome.Records;
        for (var i = 0; i < records.Count; i++)
        {
            var table = records[i].Table;
            var seen = false;
            for (var j = 0; j < i && !seen; j++) seen = records[j].Table == table;
            if (seen) continue;
            var count = 1;
            for (var j = i + 1; j < records.Count; j++) if (records[j].Table == table) count++;
            text.Append(i == 0 ? " → " : ", ").Append(table).Append('×').Append(count);
        }
        return text.ToString();
    }
}
