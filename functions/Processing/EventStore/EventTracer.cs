using System.Text.Json;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Idempotency;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.EventStore;

/// <summary>How far one consumer got with one event (seed 002's status lifecycle, per consumer).</summary>
public enum ConsumerState
{
    /// <summary>Not claimed yet: still in its queue, or the consumer is not running.</summary>
    Pending,
    /// <summary>Claimed and running now.</summary>
    Processing,
    /// <summary>Failed transiently; its next delivery runs it again.</summary>
    Retrying,
    Completed,
    DeadLettered,
}

/// <summary>One consumer's outcome for one event, joined from its idempotency record and the dead letters seen.</summary>
public sealed record ConsumerOutcome(
    string Consumer,
    ConsumerState State,
    int Attempts,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? Reason,
    int DuplicatesSuppressed);

/// <summary>One event of a flow, what each consumer made of it, and the follow-ons it caused.</summary>
public sealed record TraceNode(StoredEvent Event, IReadOnlyList<ConsumerOutcome> Consumers, IReadOnlyList<TraceNode> Children);

/// <summary>A whole flow: its causal tree (roots are events whose cause is not in the flow) and dead letters of messages that were no event.</summary>
public sealed record FlowTrace(string Tenant, string CorrelationId, IReadOnlyList<TraceNode> Roots, IReadOnlyList<StoredDeadLetter> UnmatchedDeadLetters)
{
    public IEnumerable<TraceNode> Nodes => Roots.SelectMany(Flatten);

    private static IEnumerable<TraceNode> Flatten(TraceNode node) => node.Children.SelectMany(Flatten).Prepend(node);
}

/// <summary>
/// Builds the trace of a correlation id: the flow's events from the event store, arranged by <c>causationid</c>, each
/// with the outcome of every consumer that takes its type on its bus, read from that consumer's idempotency record and
/// the dead letters recorded for the flow. Nothing is written: the outcomes are where the pipeline already keeps them.
/// </summary>
public sealed class EventTracer(IEventStore store, IIdempotencyRecords records)
{
    public async Task<FlowTrace> TraceAsync(string tenant, string correlationId, CancellationToken cancellationToken = default)
    {
        var events = new List<StoredEvent>();
        await foreach (var e in store.QueryAllAsync(new EventQuery { Tenant = tenant, CorrelationId = correlationId }, cancellationToken).ConfigureAwait(false))
            events.Add(e);
        var deadLetters = await store.DeadLettersAsync(tenant, correlationId, cancellationToken).ConfigureAwait(false);

        var outcomes = new Dictionary<StoredEvent, IReadOnlyList<ConsumerOutcome>>();
        foreach (var e in events)
            outcomes[e] = await OutcomesAsync(e, deadLetters, cancellationToken).ConfigureAwait(false);

        var ids = events.Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        var byCause = events.Where(e => e.CausationId is not null && ids.Contains(e.CausationId))
            .ToLookup(e => e.CausationId!, StringComparer.Ordinal);
        TraceNode Node(StoredEvent e) => new(e, outcomes[e], [.. byCause[e.Id].OrderBy(c => c.OccurredAt).Select(Node)]);
        var roots = events.Where(e => e.CausationId is null || !ids.Contains(e.CausationId)).OrderBy(e => e.OccurredAt).Select(Node).ToArray();
        var unmatched = deadLetters.Where(d => !events.Any(e => e.Source == d.Source && e.Id == d.EventId)).ToArray();
        return new FlowTrace(tenant, correlationId, roots, unmatched);
    }

    private async Task<IReadOnlyList<ConsumerOutcome>> OutcomesAsync(StoredEvent e, IReadOnlyList<StoredDeadLetter> deadLetters, CancellationToken cancellationToken)
    {
        if (e.ReadError is not null) return [];
        var attributes = Attributes(e);
        var outcomes = new List<ConsumerOutcome>();
        foreach (var consumer in ConsumersOf(e))
        {
            var record = await records.ReadAsync(IdempotencyKey.For(consumer.Queue, attributes), cancellationToken).ConfigureAwait(false);
            var letter = deadLetters.LastOrDefault(d => d.Source == e.Source && d.EventId == e.Id && d.Consumer == consumer.Name);
            outcomes.Add(Outcome(consumer, record, letter, e.Seen));
        }
        // Dead letters of consumers that do not consume the type (a misrouted message) are outcomes too.
        foreach (var letter in deadLetters.Where(d => d.Source == e.Source && d.EventId == e.Id && outcomes.All(o => o.Consumer != d.Consumer)))
            outcomes.Add(new ConsumerOutcome(letter.Consumer, ConsumerState.DeadLettered, 0, null, letter.DeadLetteredAt, Reason(letter), 0));
        return outcomes;
    }

    private static ConsumerOutcome Outcome(ConsumerDefinition consumer, IdempotencyRecord? record, StoredDeadLetter? letter, int seen)
    {
        // A dead letter after the completion (its follow-ons or rows were never written) is what counts; one before it was replayed and completed.
        if (letter is not null && (record is not { Status: IdempotencyStatus.Completed, CompletedAt: { } completed } || letter.DeadLetteredAt >= completed))
            return new(consumer.Name, ConsumerState.DeadLettered, record?.Attempts ?? 0, record?.CreatedAt, letter.DeadLetteredAt, Reason(letter), 0);
        return record?.Status switch
        {
            null => new(consumer.Name, ConsumerState.Pending, 0, null, null, null, 0),
            IdempotencyStatus.Completed => new(consumer.Name, ConsumerState.Completed, record.Attempts, record.CreatedAt, record.CompletedAt, null, Math.Max(0, seen - 1)),
            IdempotencyStatus.DeadLettered => new(consumer.Name, ConsumerState.DeadLettered, record.Attempts, record.CreatedAt, record.CompletedAt,
                $"{record.LastErrorCode}: {record.LastError}", 0),
            IdempotencyStatus.Failed => new(consumer.Name, ConsumerState.Retrying, record.Attempts, record.CreatedAt, null, FirstLine(record.LastError), 0),
            _ => new(consumer.Name, ConsumerState.Processing, record.Attempts, record.CreatedAt, null, null, 0),
        };
    }

    /// <summary>The consumers that take <paramref name="e"/>'s type on the bus it was seen on.</summary>
    public static IEnumerable<ConsumerDefinition> ConsumersOf(StoredEvent e) => Consumers.All
        .Where(c => c.Handles(e.Type) && (c.Bus == EventBus.Mes) == (e.Transport.Bus == TransportInfo.MesBus));

    /// <summary>The event's attributes (its data left out), as the pipeline read them: what its idempotency keys are made of.</summary>
    public static CloudEvent Attributes(StoredEvent e) =>
        JsonSerializer.Deserialize<CloudEvent>(e.Envelope, ContractJson.Options)! with { Data = null };

    // The worker's reason already starts with its code (UnknownType at $.type: ...).
    private static string Reason(StoredDeadLetter letter) =>
        letter.Reason.StartsWith(letter.Code, StringComparison.Ordinal) ? letter.Reason : $"{letter.Code}: {letter.Reason}";

    // Exceptions are recorded with their stack; the first line says what happened.
    private static string? FirstLine(string? text) => text?.Split('\n', 2)[0].TrimEnd('\r');
}
