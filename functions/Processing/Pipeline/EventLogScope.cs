using System.Collections;
using System.Diagnostics.CodeAnalysis;
using EventProcessors.Contracts;

namespace EventProcessors.Processing.Pipeline;

/// <summary>
/// The log scope of one message (consumer, event id and type, correlation, causation, tenant): one small object read
/// from the event on demand, where a dictionary per message cost more than the rest of the logging. Loggers see the
/// usual list of pairs (and a read-only dictionary).
/// </summary>
internal sealed class EventLogScope(ConsumerDefinition consumer, CloudEvent? e) : IReadOnlyList<KeyValuePair<string, object?>>, IReadOnlyDictionary<string, object?>
{
    private static readonly string[] Names = ["Consumer", "EventId", "EventType", "CorrelationId", "CausationId", "TenantId"];

    public int Count => Names.Length;

    public KeyValuePair<string, object?> this[int index] => new(Names[index], ValueAt(index));

    public object? this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);

    public IEnumerable<string> Keys => Names;

    public IEnumerable<object?> Values => Names.Select((_, i) => ValueAt(i));

    public bool ContainsKey(string key) => Array.IndexOf(Names, key) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out object? value)
    {
        var index = Array.IndexOf(Names, key);
        value = index >= 0 ? ValueAt(index) : null;
        return index >= 0;
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Names.Length; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() =>
        $"Consumer:{consumer.Name} EventId:{e?.Id} EventType:{e?.Type} CorrelationId:{e?.CorrelationId} CausationId:{e?.CausationId} TenantId:{e?.TenantId}";

    private object? ValueAt(int index) => index switch
    {
        0 => consumer.Name,
        1 => e?.Id,
        2 => e?.Type,
        3 => e?.CorrelationId,
        4 => e?.CausationId,
        5 => e?.TenantId,
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };
}
