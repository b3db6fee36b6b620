using System.Collections.Concurrent;
using System.Text;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Telemetry;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventProcessors.FunctionApp.Hosting;

/// <summary>
/// What every function does, written once: turn the trigger's message into an <see cref="InboundMessage"/>, run the
/// pipeline with the action of the function's name, settle the outcome and return the values of the output bindings.
/// Function classes only bind and copy these values to their output type.
/// </summary>
public sealed class FunctionRunner
{
    private readonly EventPipeline _pipeline;
    private readonly Dictionary<string, IConsumerAction> _actions;
    private readonly IConfirmedPublisher _publisher;
    private readonly TimeProvider _time;
    private readonly FunctionAppOptions _options;
    private readonly ILogger<FunctionRunner> _logger;
    private readonly ConcurrentDictionary<string, int> _outputDeliveries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (long Offset, ProcessingResult Result)> _unconfirmedOutputs = new(StringComparer.Ordinal);

    public FunctionRunner(EventPipeline pipeline, IEnumerable<IConsumerAction> actions, IConfirmedPublisher publisher, TimeProvider time,
        IOptions<FunctionAppOptions> options, ILogger<FunctionRunner> logger)
    {
        _pipeline = pipeline;
        _actions = actions.ToDictionary(a => a.Definition.Name, StringComparer.Ordinal);
        _publisher = publisher;
        _time = time;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>The action whose <see cref="ConsumerDefinition.Name"/> is the function's name.</summary>
    public IConsumerAction Action(string functionName) => _actions.TryGetValue(functionName, out var action)
        ? action
        : throw new InvalidOperationException($"No consumer action is registered for function {functionName}.");

    /// <summary>
    /// A Collector function (RabbitMQ trigger). Everything that must not be lost once the trigger acknowledges the input
    /// is published here with publisher confirms before the function returns: follow-ons to the outbox, a copy for the
    /// next attempt to <c>&lt;queue&gt;.retry</c>, a dead letter to <c>&lt;queue&gt;.dead-letter</c> (through the dead-letter
    /// exchange, so the audit queue bound there gets its copy). Only the rows are
    /// left to the SQL output binding (it upserts by key; when it fails the trigger redelivers and the duplicate writes
    /// them again). Throws only when publishing fails, so the trigger redelivers the message.
    /// </summary>
    public async Task<FunctionOutputs> RunCollectorAsync(string functionName, string message, FunctionContext context)
    {
        var action = Action(functionName);
        var cancellationToken = context.CancellationToken;
        var inbound = RabbitMQMessages.ToInbound(message, context.BindingContext?.BindingData);
        var result = await _pipeline.ProcessAsync(inbound, action, cancellationToken).ConfigureAwait(false);
        switch (result.Status)
        {
            case ProcessingStatus.Retry:
                await RetryLaterAsync(action.Definition, inbound, result, cancellationToken).ConfigureAwait(false);
                return FunctionOutputs.None;
            case ProcessingStatus.DeadLettered:
                var error = result.Error!;
                await DeadLetterAsync(action.Definition, inbound, new DeadLetterReason(error.Code.ToString(), error.Message, error.Path), cancellationToken).ConfigureAwait(false);
                return FunctionOutputs.None;
            default:
                if (!result.ShouldPublish) return FunctionOutputs.None;
                if (result.Outcome.Events.Count > 0)
                {
                    await _publisher.PublishAsync("", Destinations.CollectorOutbox,
                        [.. result.Outcome.Events.Select(e => new AmqpMessage(e.ToJsonBytes(), e.Id, CloudEvent.JsonContentType))], cancellationToken).ConfigureAwait(false);
                    // Confirmed: a duplicate from here on publishes nothing. Its rows are still handed to the SQL output
                    // binding, which writes them after this returns, so only the follow-ons are marked.
                    await _pipeline.ConfirmFollowOnsPublishedAsync(result, cancellationToken).ConfigureAwait(false);
                }
                return new FunctionOutputs(null, null, result.Outcome.Records);
        }
    }

    /// <summary>
    /// Parks the message in its retry queue for the next attempt (the same body, id, content type and headers). A held
    /// lease waits the rest of that lease and an unavailable store a growing wait, neither spending an attempt; any
    /// other transient failure spends one, and the last one dead-letters instead.
    /// </summary>
    private async Task RetryLaterAsync(ConsumerDefinition consumer, InboundMessage inbound, ProcessingResult result, CancellationToken cancellationToken)
    {
        var headers = KeptHeaders(inbound);
        TimeSpan delay;
        if (result.Unavailable || result.RetryAfter is not null)
        {
            var holds = inbound.Count(RetryCounters.Holds) + 1;
            delay = result.RetryAfter is { } after && !result.Unavailable
                ? TimeSpan.FromTicks(Math.Clamp(after.Ticks, TimeSpan.FromSeconds(1).Ticks, _options.RetryMaxDelay.Ticks))
                : RetryBackoff.Delay(_options.RetryBaseDelay, holds, _options.RetryMaxDelay);
            headers[RetryCounters.Holds] = Text(holds);
            if (inbound.Count(RetryCounters.Attempts) is > 0 and var kept) headers[RetryCounters.Attempts] = Text(kept);
        }
        else
        {
            var attempts = inbound.Count(RetryCounters.Attempts) + 1;
            if (attempts >= _options.MaxAttempts)
            {
                await DeadLetterAsync(consumer, inbound, new DeadLetterReason("RetriesExhausted",
                    $"{result.RetryReason} (attempt {attempts} of {_options.MaxAttempts})", null), cancellationToken).ConfigureAwait(false);
                return;
            }
            delay = RetryBackoff.Delay(_options.RetryBaseDelay, attempts, _options.RetryMaxDelay);
            headers[RetryCounters.Attempts] = Text(attempts);
        }
        _logger.LogInformation("{Consumer} parks {MessageId} for {Delay} s: {Reason}", consumer.Name, inbound.MessageId, delay.TotalSeconds, result.RetryReason);
        await _publisher.PublishAsync("", Destinations.RetryQueue(consumer.Queue),
            [new AmqpMessage(inbound.Body, inbound.MessageId, inbound.ContentType, headers, delay)], cancellationToken).ConfigureAwait(false);
    }

    private async Task DeadLetterAsync(ConsumerDefinition consumer, InboundMessage inbound, DeadLetterReason reason, CancellationToken cancellationToken)
    {
        var letter = new CollectorDeadLetter(reason, consumer.Name, consumer.Queue, Encoding.UTF8.GetString(inbound.Body.Span), _time.GetUtcNow(),
            inbound.MessageId, inbound.ContentType, KeptHeaders(inbound) is { Count: > 0 } kept ? kept : null);
        await _publisher.PublishAsync(Destinations.DeadLetterExchange, Destinations.DeadLetterQueue(consumer.Queue),
            [new AmqpMessage(Encoding.UTF8.GetBytes(letter.ToJson()), inbound.MessageId, "application/json")], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The message's own headers: everything but the retry counters.</summary>
    private static Dictionary<string, string> KeptHeaders(InboundMessage inbound) =>
        inbound.HeadersOrEmpty.Where(h => !RetryCounters.IsCounter(h.Key)).ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal);

    private static string Text(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// An MES function (Kafka trigger with function-level retry; host.json <c>commitOnFailure: false</c>,
    /// <c>maxRetries: -1</c>, so the trigger commits a record only after an invocation succeeded). A held lease or an
    /// unavailable store is waited out in place, up to <see cref="FunctionAppOptions.KafkaHoldLimit"/>, without spending
    /// a retry; beyond it the invocation fails and the record comes back, but is never dead-lettered for it. Any other
    /// failure, also outside the pipeline, is retried, and on the final attempt the record goes to
    /// <c>mes-events.dead-letter</c> instead: the invocation succeeds with either the outcome or a dead letter.
    /// </summary>
    public Task<FunctionOutputs> RunMesAsync(string functionName, KafkaRecord record, FunctionContext context)
    {
        var action = Action(functionName);
        var inbound = KafkaMessages.ToInbound(record);
        return RunMesAsync(action.Definition, record, context, cancellationToken => _pipeline.ProcessAsync(inbound, action, cancellationToken));
    }

    /// <summary>
    /// The same rule for any work on one MES record that reports itself as a <see cref="ProcessingResult"/> (the audit's
    /// append: an unreachable store as <see cref="ProcessingResult.StoreUnavailable"/>, the stored event's row as its record).
    /// </summary>
    public async Task<FunctionOutputs> RunMesAsync(ConsumerDefinition consumer, KafkaRecord record, FunctionContext context,
        Func<CancellationToken, Task<ProcessingResult>> process)
    {
        var functionName = consumer.Name;
        var attempt = (context.RetryContext?.RetryCount ?? 0) + 1;
        var final = IsFinalAttempt(context);
        await ConfirmPreviousOutputsAsync(consumer, record, context.CancellationToken).ConfigureAwait(false);
        ProcessingResult result;
        try
        {
            result = await ProcessHoldingAsync(process, context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (final && !context.CancellationToken.IsCancellationRequested)
        {
            _logger.LogError(ex, "{Function} dead-letters {Topic}/{Partition}@{Offset}: the invocation failed on attempt {Attempt}",
                functionName, record.Topic, record.Partition, record.Offset, attempt);
            return DeadLetter(consumer, record, "FunctionFailed", ex.Message, attempt);
        }
        switch (result.Status)
        {
            case ProcessingStatus.Retry when result.Unavailable || result.RetryAfter is not null:
                throw new RetryableFunctionException($"{functionName}: {result.RetryReason} (still held after {_options.KafkaHoldLimit})");
            case ProcessingStatus.Retry when !final:
                throw new RetryableFunctionException($"{functionName}: {result.RetryReason} (attempt {attempt})");
            case ProcessingStatus.Retry:
                ProcessingTelemetry.RecordDeadLetter(consumer, result.Event?.Type, "RetriesExhausted");
                _logger.LogError("{Function} dead-letters {Topic}/{Partition}@{Offset} after attempt {Attempt}: {Reason}",
                    functionName, record.Topic, record.Partition, record.Offset, attempt, result.RetryReason);
                return DeadLetter(consumer, record, "RetriesExhausted", result.RetryReason ?? "retries exhausted", attempt);
            case ProcessingStatus.DeadLettered:
                var error = result.Error!;
                return DeadLetter(consumer, record, error.Code.ToString(), error.Message, attempt, error.Path);
            default:
                if (!result.ShouldPublish) return FunctionOutputs.None;
                if (final && OutputsFailedBefore(consumer, record))
                    return DeadLetter(consumer, record, "OutputFailed",
                        $"the host could not write this record's follow-ons or rows in {_options.KafkaOutputDeliveries} deliveries; its outcome is recorded and a replay writes them", attempt);
                var now = _time.GetUtcNow();
                var events = result.Outcome.Events.Count == 0 ? null : result.Outcome.Events.Select(e => KafkaMessages.Output(e, now)).ToArray();
                _unconfirmedOutputs[PartitionOf(consumer, record)] = (record.Offset, result);
                return new FunctionOutputs(events, null, result.Outcome.Records);
        }
    }

    /// <summary>
    /// The Kafka outputs (follow-ons and rows) are bindings the host applies after the function returned, so the function
    /// never learns that they were written. The next record of the same partition tells: the trigger invokes a partition's
    /// records one at a time and, with host.json's <c>commitOnFailure: false</c> and <c>maxRetries: -1</c>, retries a
    /// failed record in place until it succeeds, so a later offset running here means the earlier invocation succeeded,
    /// outputs included. Its outcome is then marked published and its duplicates publish nothing. The same record again
    /// (a retry, a lost commit) or an earlier one (a rewind) proves nothing: the mark is dropped, and a duplicate
    /// republishes, which is harmless. Kept in memory, one entry per partition and function.
    /// </summary>
    private async Task ConfirmPreviousOutputsAsync(ConsumerDefinition consumer, KafkaRecord record, CancellationToken cancellationToken)
    {
        if (!_unconfirmedOutputs.TryRemove(PartitionOf(consumer, record), out var previous) || previous.Offset >= record.Offset) return;
        await _pipeline.ConfirmPublishedAsync(previous.Result, cancellationToken).ConfigureAwait(false);
    }

    private static string PartitionOf(ConsumerDefinition consumer, KafkaRecord record) => $"{consumer.Queue}/{record.Topic}/{record.Partition}";

    /// <summary>The pipeline, run again while the event's lease is held elsewhere or the store does not answer (not attempts).</summary>
    private async Task<ProcessingResult> ProcessHoldingAsync(Func<CancellationToken, Task<ProcessingResult>> process, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + _options.KafkaHoldLimit;
        for (var holds = 1; ; holds++)
        {
            var result = await process(cancellationToken).ConfigureAwait(false);
            if (result is not { Status: ProcessingStatus.Retry } || (!result.Unavailable && result.RetryAfter is null)) return result;
            var wait = result.RetryAfter is { } after && !result.Unavailable
                ? TimeSpan.FromTicks(Math.Clamp(after.Ticks, TimeSpan.FromMilliseconds(100).Ticks, _options.RetryMaxDelay.Ticks))
                : RetryBackoff.Delay(_options.RetryBaseDelay, holds, _options.RetryMaxDelay);
            if (_time.GetUtcNow() + wait > deadline) return result;
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Whether the host already failed to write this record's outputs on <see cref="FunctionAppOptions.KafkaOutputDeliveries"/>
    /// final attempts. Counted in memory per instance (a record whose outputs were written is committed and never comes
    /// back): after a restart the count starts again, which only delays the dead letter.
    /// </summary>
    private bool OutputsFailedBefore(ConsumerDefinition consumer, KafkaRecord record)
    {
        var key = $"{consumer.Queue}/{record.Topic}/{record.Partition}/{record.Offset}";
        if (_outputDeliveries.Count > 10_000) _outputDeliveries.Clear();
        var deliveries = _outputDeliveries.AddOrUpdate(key, 1, (_, n) => n + 1);
        if (deliveries <= _options.KafkaOutputDeliveries) return false;
        _outputDeliveries.TryRemove(key, out _);
        return true;
    }

    private FunctionOutputs DeadLetter(ConsumerDefinition consumer, KafkaRecord record, string code, string message, int attempts, string? path = null) =>
        new(null, KafkaMessages.DeadLetter(consumer, record, code, message, path, attempts, _time.GetUtcNow()), []);

    /// <summary>The last attempt the retry policy allows (or no policy): the one that must not throw.</summary>
    public static bool IsFinalAttempt(FunctionContext context) =>
        context.RetryContext is not { } retry || retry.RetryCount >= retry.MaxRetryCount;
}

/// <summary>
/// The output values of one invocation. Null means "emit nothing" (the worker skips null output properties).
/// </summary>
/// <param name="Events">MES follow-on events, one Kafka message each, or null.</param>
/// <param name="DeadLetter">The MES dead-letter message, or null.</param>
/// <param name="Records">The SQL rows, all tables.</param>
public sealed record FunctionOutputs(string[]? Events, string? DeadLetter, IReadOnlyList<OutcomeRecord> Records)
{
    public static FunctionOutputs None { get; } = new(null, null, []);

    /// <summary>The rows of <typeparamref name="TRow"/>'s table, or null when the action wrote none.</summary>
    public TRow[]? Rows<TRow>() where TRow : notnull
    {
        var table = SqlTableAttribute.NameOf(typeof(TRow));
        var rows = Records.Where(r => r.Table == table).Select(r => r.As<TRow>()).ToArray();
        return rows.Length == 0 ? null : rows;
    }
}

/// <summary>Thrown to make the transport deliver the message again (Kafka function retry, or the trigger's redelivery).</summary>
public sealed class RetryableFunctionException(string message) : Exception(message);
