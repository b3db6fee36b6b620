using System.Text;
using EventProcessors.Contracts;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Telemetry;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventProcessors.FunctionApp.Hosting;

/// <summary>
/// What every function does, written once: turn the trigger's message into an <see cref="InboundMessage"/>,
/// run the pipeline with the action of the function's name, and turn the <see cref="ProcessingResult"/> into
/// the values of the output bindings. Function classes only bind and copy these values to their output type.
/// </summary>
public sealed class FunctionRunner
{
    private readonly EventPipeline _pipeline;
    private readonly Dictionary<string, IConsumerAction> _actions;
    private readonly TimeProvider _time;
    private readonly FunctionAppOptions _options;
    private readonly ILogger<FunctionRunner> _logger;

    public FunctionRunner(EventPipeline pipeline, IEnumerable<IConsumerAction> actions, TimeProvider time, IOptions<FunctionAppOptions> options, ILogger<FunctionRunner> logger)
    {
        _pipeline = pipeline;
        _actions = actions.ToDictionary(a => a.Definition.Name, StringComparer.Ordinal);
        _time = time;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>The header the RabbitMQ trigger counts its redeliveries in (it republishes a failed message with it, then dead-letters).</summary>
    public const string RequeueCountHeader = "x-ms-rabbitmq-requeuecount";

    /// <summary>The action whose <see cref="ConsumerDefinition.Name"/> is the function's name.</summary>
    public IConsumerAction Action(string functionName) => _actions.TryGetValue(functionName, out var action)
        ? action
        : throw new InvalidOperationException($"No consumer action is registered for function {functionName}.");

    /// <summary>
    /// A Collector function (RabbitMQ trigger). Completed and duplicate: the follow-ons for the outbox and the
    /// rows. Dead-lettered: the dead-letter envelope for <c>&lt;queue&gt;.dead-letter</c>, and the message is
    /// acknowledged. Retry: waits (<see cref="FunctionAppOptions.RetryBaseDelay"/>, doubled per redelivery the trigger
    /// counted), then throws, so the trigger redelivers (and after its fifth attempt rejects the message to the queue's
    /// dead-letter exchange).
    /// </summary>
    public async Task<FunctionOutputs> RunCollectorAsync(string functionName, string message, FunctionContext context)
    {
        var action = Action(functionName);
        var inbound = RabbitMQMessages.ToInbound(message, context.BindingContext?.BindingData);
        var result = await _pipeline.ProcessAsync(inbound, action, context.CancellationToken).ConfigureAwait(false);
        switch (result.Status)
        {
            case ProcessingStatus.Retry:
                var requeues = inbound.Count(RequeueCountHeader);
                var wait = RetryBackoff.Delay(_options.RetryBaseDelay, requeues + 1,
                    result.RetryAfter is { } after && after < _options.RetryMaxDelay ? after : _options.RetryMaxDelay);
                await Task.Delay(wait, _time, context.CancellationToken).ConfigureAwait(false);
                throw new RetryableFunctionException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{functionName}: {result.RetryReason} (redelivery {requeues}, waited {wait.TotalSeconds:0.0} s)"));
            case ProcessingStatus.DeadLettered:
                var error = result.Error!;
                var deadLetter = new CollectorDeadLetter(new DeadLetterReason(error.Code.ToString(), error.Message, error.Path),
                    action.Definition.Name, action.Definition.Queue, message, _time.GetUtcNow());
                return new FunctionOutputs(null, deadLetter.ToJson(), []);
            default:
                return Outputs(result, e => Encoding.UTF8.GetString(e.ToJsonBytes()));
        }
    }

    /// <summary>
    /// An MES function (Kafka trigger with function-level retry). Like <see cref="RunCollectorAsync"/>, except
    /// that follow-ons are in the Kafka output's JSON form (key and headers) and that a retry on the final
    /// attempt, or with no retry policy at all, writes the record to <c>mes-events.dead-letter</c> instead of
    /// throwing, so the offset is committed and nothing is dropped.
    /// </summary>
    public async Task<FunctionOutputs> RunMesAsync(string functionName, KafkaRecord record, FunctionContext context)
    {
        var action = Action(functionName);
        var inbound = KafkaMessages.ToInbound(record);
        var result = await _pipeline.ProcessAsync(inbound, action, context.CancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var attempt = (context.RetryContext?.RetryCount ?? 0) + 1;
        switch (result.Status)
        {
            case ProcessingStatus.Retry when !IsFinalAttempt(context):
                throw new RetryableFunctionException($"{functionName}: {result.RetryReason} (attempt {attempt})");
            case ProcessingStatus.Retry:
                ProcessingTelemetry.RecordDeadLetter(action.Definition, result.Event?.Type, "RetriesExhausted");
                _logger.LogError("{Function} dead-letters {Topic}/{Partition}@{Offset} after attempt {Attempt}: {Reason}",
                    functionName, record.Topic, record.Partition, record.Offset, attempt, result.RetryReason);
                return new FunctionOutputs(null, KafkaMessages.DeadLetter(action.Definition, record, "RetriesExhausted", result.RetryReason ?? "retries exhausted", null, attempt, now), []);
            case ProcessingStatus.DeadLettered:
                var error = result.Error!;
                return new FunctionOutputs(null, KafkaMessages.DeadLetter(action.Definition, record, error.Code.ToString(), error.Message, error.Path, attempt, now), []);
            default:
                return Outputs(result, e => KafkaMessages.Output(e, now));
        }
    }

    /// <summary>The last attempt the retry policy allows (or no policy): the one that must not throw.</summary>
    public static bool IsFinalAttempt(FunctionContext context) =>
        context.RetryContext is not { } retry || retry.RetryCount >= retry.MaxRetryCount;

    private static FunctionOutputs Outputs(ProcessingResult result, Func<CloudEvent, string> format)
    {
        if (!result.ShouldPublish) return FunctionOutputs.None;
        var events = result.Outcome.Events.Count == 0 ? null : result.Outcome.Events.Select(format).ToArray();
        return new FunctionOutputs(events, null, result.Outcome.Records);
    }
}

/// <summary>
/// The output values of one invocation. Null means "emit nothing" (the worker skips null output properties).
/// </summary>
/// <param name="Events">Follow-on events, one message each (outbox queue or Kafka topic), or null.</param>
/// <param name="DeadLetter">The dead-letter message, or null.</param>
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

/// <summary>Thrown to make the transport deliver the message again (RabbitMQ redelivery, Kafka function retry).</summary>
public sealed class RetryableFunctionException(string message) : Exception(message);
