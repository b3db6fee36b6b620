namespace EventProcessors.Processing.Pipeline;

/// <summary>Which bus an action listens on: Collector's RabbitMQ exchange or the MES Kafka topic.</summary>
public enum EventBus
{
    /// <summary>RabbitMQ topic exchange <c>collector-events</c>; one queue per action.</summary>
    Collector,
    /// <summary>Kafka topic <c>mes-events</c> (self-hosted: RabbitMQ exchange <c>mes-events</c>); one consumer group per action.</summary>
    Mes,
}

/// <summary>
/// What identifies a consumer action everywhere: its function name, the queue or consumer group it
/// reads (also the consumer id its idempotency records are kept under) and the event types it consumes.
/// </summary>
/// <param name="Name">The function name, as in flows.md (for example <c>ReserveStock</c>).</param>
/// <param name="Queue">The queue (Collector) or consumer group (MES), for example <c>inventory.reserve-stock</c>.</param>
/// <param name="Bus">The bus the action listens on.</param>
/// <param name="Consumes">The event types the action handles; others on the same topic are ignored.</param>
public sealed record ConsumerDefinition(string Name, string Queue, EventBus Bus, IReadOnlyList<string> Consumes)
{
    /// <summary>The bounded context, the queue name's first segment (<c>inventory</c>).</summary>
    public string BoundedContext => Queue.Split('.')[0];

    /// <summary>The queue (Collector) or consumer group (MES), for example <c>inventory.reserve-stock</c>.</summary>
    public string Queue
    {
        get;
        init
        {
            field = value;
            Source = SourceOf(value);
        }
    } = Queue;

    /// <summary>The CloudEvents <c>source</c> of the events this action emits (made once: every follow-on carries it).</summary>
    public string Source { get; private init; } = SourceOf(Queue);

    private static string SourceOf(string queue) => $"/event-processors/{queue}";

    public bool Handles(string eventType) => Lists(Consumes, eventType);

    /// <summary>Whether <paramref name="types"/> holds <paramref name="type"/> (ordinal), without an enumerator per call.</summary>
    internal static bool Lists(IReadOnlyList<string> types, string type)
    {
        for (var i = 0; i < types.Count; i++)
            if (string.Equals(types[i], type, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>
    /// The follow-on event types the action may emit (flows.md's "emits"). <see cref="ActionContext.Emit{TPayload}"/>
    /// refuses any other, so this list is what the action really does.
    /// </summary>
    public IReadOnlyList<string> Emits { get; init; } = [];

    /// <summary>
    /// The record types (SQL rows, <see cref="SqlTableAttribute"/>) the action may write. A host binds an output
    /// for exactly these tables; <see cref="ActionContext.Write{TRow}"/> refuses any other, so no row can be
    /// produced that its host has nowhere to put.
    /// </summary>
    public IReadOnlyList<Type> Writes { get; init; } = [];
}

/// <summary>
/// One consumer action: a decision over one event and the state it reads. It emits follow-on
/// events and business records through the <see cref="ActionContext"/>; the pipeline around it
/// supplies idempotency, dead-lettering and telemetry. Throw <see cref="Contracts.EventValidationException"/>
/// for input that can never succeed and <see cref="TransientProcessingException"/> for input that may
/// succeed later (for example a request that arrived before the state it needs).
/// </summary>
public interface IConsumerAction
{
    ConsumerDefinition Definition { get; }

    Task HandleAsync(ActionContext context, CancellationToken cancellationToken);
}

/// <summary>A failure that may pass on a later delivery: the transport should redeliver, not dead-letter.</summary>
public sealed class TransientProcessingException(string message, Exception? innerException = null)
    : Exception(message, innerException);
