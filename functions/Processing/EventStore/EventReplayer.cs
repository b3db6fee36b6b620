using EventProcessors.Contracts;
using EventProcessors.Processing.Idempotency;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.EventStore;

/// <summary>What a replay did: the events re-run and their verdicts, and those it could not re-run because their data was not kept.</summary>
public sealed record ReplayReport(string Consumer, int Replayed, IReadOnlyList<ProcessingResult> Results, IReadOnlyList<StoredEvent> WithoutData);

/// <summary>A replay refused: the consumer's effects cannot be undone, and the operator did not force it.</summary>
public sealed class ReplayRefusedException(string message) : Exception(message);

/// <summary>
/// Re-runs one consumer over history: the tenant's events of the types it consumes since a time, oldest first. For a
/// rebuildable projection (<see cref="IRebuildableProjection"/>) the state those events built is reset and their
/// idempotency records forgotten first, so the run rebuilds the projection; any other consumer is refused unless
/// forced, because its effects (stock moved, documents issued, follow-ons others acted on) would happen again.
/// </summary>
public sealed class EventReplayer(IEventStore store, EventCapture capture, IIdempotencyRecords records, EventPipeline pipeline, IEnumerable<IConsumerAction> actions)
{
    public async Task<ReplayReport> ReplayAsync(string consumerName, string tenant, DateTimeOffset since, bool force, CancellationToken cancellationToken = default)
    {
        var action = actions.FirstOrDefault(a => a.Definition.Name == consumerName || a.Definition.Queue == consumerName)
            ?? throw new ArgumentException($"No consumer is named {consumerName}. Known: {string.Join(", ", actions.Select(a => a.Definition.Name).Order(StringComparer.Ordinal))}.");
        var consumer = action.Definition;
        if (action is not IRebuildableProjection && !force) throw new ReplayRefusedException(WhyNot(consumer));

        var history = new List<StoredEvent>();
        foreach (var type in consumer.Consumes.Distinct(StringComparer.Ordinal))
            await foreach (var e in store.QueryAllAsync(new EventQuery { Tenant = tenant, TypePattern = type, Since = since }, cancellationToken).ConfigureAwait(false))
                if (e.Transport.Bus == (consumer.Bus == EventBus.Mes ? TransportInfo.MesBus : TransportInfo.CollectorBus)) history.Add(e);
        history.Sort((a, b) => a.OccurredAt != b.OccurredAt ? a.OccurredAt.CompareTo(b.OccurredAt) : string.CompareOrdinal(a.Id, b.Id));

        var runnable = new List<CloudEvent>();
        var withoutData = new List<StoredEvent>();
        foreach (var e in history)
        {
            if (capture.Restore(e) is { } restored) runnable.Add(restored);
            else withoutData.Add(e);
        }

        if (action is IRebuildableProjection projection)
            await projection.ResetAsync(tenant, runnable, since, cancellationToken).ConfigureAwait(false);
        foreach (var e in runnable)
            await records.ForgetAsync(IdempotencyKey.For(consumer.Queue, e), cancellationToken).ConfigureAwait(false);

        var results = new List<ProcessingResult>();
        foreach (var e in runnable)
        {
            var message = new InboundMessage(e.ToJsonBytes(), ContentType: CloudEvent.JsonContentType);
            results.Add(await pipeline.ProcessAsync(message, action, cancellationToken).ConfigureAwait(false));
        }
        return new ReplayReport(consumer.Name, runnable.Count, results, withoutData);
    }

    /// <summary>Why a consumer cannot be replayed safely, in the operator's terms.</summary>
    public static string WhyNot(ConsumerDefinition consumer)
    {
        var effects = new List<string>();
        if (consumer.Emits.Count > 0) effects.Add("emits " + string.Join(", ", consumer.Emits) + " that other consumers act on");
        if (consumer.Writes.Count > 0) effects.Add("writes " + string.Join(", ", consumer.Writes.Select(SqlTableAttribute.NameOf)) + " rows");
        effects.Add("changes state its events do not rebuild on their own");
        return $"{consumer.Name} is not a rebuildable projection: it {string.Join("; ", effects)}. Replaying it would do those effects again " +
            "(the idempotency records that prevent this would be forgotten). Use --force only if you know they are harmless.";
    }
}
