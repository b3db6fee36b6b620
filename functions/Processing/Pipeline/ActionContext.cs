using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EventProcessors.Contracts;

namespace EventProcessors.Processing.Pipeline;

/// <summary>
/// What a consumer action sees of the event it handles, and where it puts what it decides:
/// follow-on events (<see cref="Emit"/>) and business records (<see cref="Write"/>).
/// </summary>
public sealed class ActionContext
{
    // Made on first use: many actions emit or write nothing, or one of each.
    private List<CloudEvent>? _events;
    private List<OutcomeRecord>? _records;

    public ActionContext(CloudEvent @event, object payload, ConsumerDefinition consumer, TimeProvider time)
    {
        Event = @event;
        Payload = payload;
        Consumer = consumer;
        Time = time;
    }

    /// <summary>The event being handled, in canonical form.</summary>
    public CloudEvent Event { get; }

    /// <summary>The event's payload, read into its catalog record type.</summary>
    public object Payload { get; }

    public ConsumerDefinition Consumer { get; }

    public TimeProvider Time { get; }

    /// <summary>The tenant whose state this event may touch; state stores partition by it.</summary>
    public string Tenant => Event.TenantId ?? DefaultTenant;

    /// <summary>The tenant of events that carry none (single-tenant MES plants).</summary>
    public const string DefaultTenant = "default";

    /// <summary>The payload as <typeparamref name="T"/>; a mismatch is a programming error, not bad input.</summary>
    public T PayloadAs<T>() => Payload is T typed
        ? typed
        : throw new InvalidOperationException($"{Consumer.Name} expected {typeof(T).Name} but the payload is {Payload.GetType().Name}.");

    /// <summary>
    /// Emits a follow-on event. Its id is derived from (this event, this consumer, type, index) so a
    /// re-run emits the same ids; causation, correlation, tenant and trace context are carried over.
    /// </summary>
    public CloudEvent Emit<TPayload>(string type, TPayload payload, string? partitionKey = null, DataClassification? classification = null)
        where TPayload : notnull
    {
        if (!ConsumerDefinition.Lists(Consumer.Emits, type))
            throw new InvalidOperationException($"{Consumer.Name} emits {type}, which its definition does not declare.");
        var index = 0; // how many of this type were emitted before (an action emits a handful)
        foreach (var earlier in _events ??= [])
            if (string.Equals(earlier.Type, type, StringComparison.Ordinal)) index++;
        var followOn = new CloudEvent
        {
            Id = FollowOnId(Event, Consumer.Queue, type, index),
            Source = Consumer.Source,
            Type = type,
            Time = Time.GetUtcNow(),
            DataContentType = "application/json",
            CorrelationId = Event.CorrelationId ?? Event.Id,
            CausationId = Event.Id,
            TenantId = Event.TenantId,
            UserId = Event.UserId,
            SessionId = Event.SessionId,
            DataClassification = classification ?? Event.DataClassification,
            PartitionKey = partitionKey,
            TraceParent = Activity.Current?.Id ?? Event.TraceParent,
            TraceState = Activity.Current?.TraceStateString ?? Event.TraceState,
            Data = JsonSerializer.SerializeToElement(payload, ContractJson.Options),
        };
        _events.Add(followOn);
        return followOn;
    }

    /// <summary>Adds a business record (a SQL row) to the outcome. Rows carry deterministic primary keys.</summary>
    public void Write<TRow>(TRow row) where TRow : notnull
    {
        if (!Consumer.Writes.Contains(typeof(TRow)))
            throw new InvalidOperationException($"{Consumer.Name} writes {typeof(TRow).Name}, which its definition does not declare.");
        (_records ??= []).Add(OutcomeRecord.From(row));
    }

    /// <summary>What the action decided, in the order it decided it.</summary>
    public ProcessingOutcome Outcome => _events is null && _records is null
        ? ProcessingOutcome.Empty
        : new(_events?.ToArray() ?? [], _records?.ToArray() ?? []);

    /// <summary>
    /// The id of the <paramref name="index"/>-th follow-on of <paramref name="type"/> caused by
    /// <paramref name="cause"/> in <paramref name="consumer"/>: a name-based UUID (RFC 9562 version 8 layout
    /// over SHA-256, see <see cref="DeterministicId"/>), stable across re-runs and distinct for every distinct input.
    /// The tenant is part of it: tenants share sources, so two tenants' causes may carry the same source and id.
    /// </summary>
    public static string FollowOnId(CloudEvent cause, string consumer, string type, int index)
    {
        // The UTF-8 of "{tenant}\n{source}\n{id}\n{consumer}\n{type}\n{index}", written straight into one buffer (on the stack when
        // it fits): the same bytes, so the same ids, without the intermediate string and array per follow-on.
        var tenant = cause.TenantId ?? "";
        var chars = tenant.Length + cause.Source.Length + cause.Id.Length + consumer.Length + type.Length + 5 + 11;
        var length = Encoding.UTF8.GetMaxByteCount(chars);
        byte[]? rented = null;
        var name = length <= 1024 ? stackalloc byte[1024] : (rented = ArrayPool<byte>.Shared.Rent(length));
        var written = 0;
        foreach (var part in (ReadOnlySpan<string>)[tenant, cause.Source, cause.Id, consumer, type])
        {
            written += Encoding.UTF8.GetBytes(part, name[written..]);
            name[written++] = (byte)'\n';
        }
        index.TryFormat(name[written..], out var digits, provider: CultureInfo.InvariantCulture);
        var id = DeterministicId.From(name[..(written + digits)]);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        return id;
    }
}
