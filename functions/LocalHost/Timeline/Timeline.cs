using System.Collections.Concurrent;
using EventProcessors.Contracts;

namespace EventProcessors.LocalHost.Timeline;

/// <summary>What happened to a message at one hop.</summary>
public enum TimelineKind
{
    /// <summary>Put on an exchange from outside the worker (the demo, a test, a replay).</summary>
    Injected,
    /// <summary>A consumer received a delivery.</summary>
    Received,
    /// <summary>The action ran and its outcome was recorded.</summary>
    Completed,
    /// <summary>Seen before: the recorded outcome was replayed, the action did not run.</summary>
    Duplicate,
    /// <summary>Not a type this action consumes (MES topic).</summary>
    Ignored,
    /// <summary>A transient failure; the worker waits and processes the delivery again.</summary>
    Retrying,
    /// <summary>Moved to the action's dead-letter queue with a reason.</summary>
    DeadLettered,
    /// <summary>Given back to the broker unsettled (shutdown, lease held elsewhere, broker trouble).</summary>
    Requeued,
    /// <summary>Held unacknowledged while the store or broker is unreachable; not an attempt.</summary>
    Held,
    /// <summary>A follow-on event was published and confirmed.</summary>
    Published,
    /// <summary>Publishing, writing records or settling failed; the delivery will come again.</summary>
    Failed,
}

/// <summary>One hop of one message: who, what, and why.</summary>
public sealed record TimelineEntry(
    DateTimeOffset At,
    TimelineKind Kind,
    string Actor,
    string? EventId,
    string? EventType,
    string? CorrelationId = null,
    string? CausationId = null,
    string? Detail = null,
    int Attempt = 1,
    string? Exchange = null);

/// <summary>Watches the worker: every delivery, verdict and publish. The demo prints it; tests assert on it.</summary>
public interface ITimelineObserver
{
    void Record(TimelineEntry entry);
}

/// <summary>Sends every entry to several observers.</summary>
public sealed class CompositeTimelineObserver(IEnumerable<ITimelineObserver> observers) : ITimelineObserver
{
    private readonly ITimelineObserver[] _observers = observers.ToArray();

    /// <summary>Whether anyone watches; a worker watched by no one makes no entries for its deliveries.</summary>
    public bool IsWatched => _observers.Length > 0;

    public void Record(TimelineEntry entry)
    {
        foreach (var observer in _observers) observer.Record(entry);
    }
}

/// <summary>
/// Keeps the latest <see cref="Capacity"/> entries (older ones are dropped, so a serving worker's memory does not grow with
/// the messages it handles), and lets a caller wait (bounded) until a condition over them holds.
/// </summary>
public sealed class TimelineRecorder : ITimelineObserver
{
    /// <summary>Entries kept by default: every hop of a demo or a test, a few thousand messages of a serving worker.</summary>
    public const int DefaultCapacity = 10_000;

    private readonly ConcurrentQueue<TimelineEntry> _entries = new();
    private readonly object _gate = new();
    private int _count;
    private TaskCompletionSource? _changed;

    public TimelineRecorder(int capacity = DefaultCapacity) =>
        Capacity = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The timeline must keep at least one entry.");

    public int Capacity { get; }

    /// <summary>The entries kept, oldest first.</summary>
    public IReadOnlyList<TimelineEntry> Entries => _entries.ToArray();

    public void Record(TimelineEntry entry)
    {
        _entries.Enqueue(entry);
        if (Interlocked.Increment(ref _count) > Capacity && _entries.TryDequeue(out _)) Interlocked.Decrement(ref _count);
        TaskCompletionSource? changed;
        lock (_gate)
        {
            // Only a waiter needs the signal; without one, recording allocates nothing.
            changed = _changed;
            _changed = null;
        }
        changed?.TrySetResult();
    }

    public IEnumerable<TimelineEntry> OfKind(TimelineKind kind) => Entries.Where(e => e.Kind == kind);

    /// <summary>Waits until <paramref name="condition"/> holds over the entries, or throws <see cref="TimeoutException"/>.</summary>
    public async Task WaitForAsync(Func<IReadOnlyList<TimelineEntry>, bool> condition, TimeSpan timeout, string? description = null)
    {
        using var limit = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_gate) changed = (_changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            if (condition(Entries)) return;
            try
            {
                await changed.WaitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                if (condition(Entries)) return;
                throw new TimeoutException($"Timed out after {timeout} waiting for {description ?? "the timeline condition"}. Timeline:\n" + string.Join('\n', Entries.Select(Format)));
            }
        }
    }

    public static string Format(TimelineEntry e) =>
        $"{e.At:HH:mm:ss.fff} {e.Kind,-12} {e.Actor,-36} {e.EventType,-30} {e.EventId} corr={e.CorrelationId} {e.Detail}";
}

public static class TimelineEntries
{
    public static TimelineEntry For(TimelineKind kind, string actor, CloudEvent? e, TimeProvider time, string? detail = null, int attempt = 1, string? exchange = null) =>
        new(time.GetUtcNow(), kind, actor, e?.Id, e?.Type, e?.CorrelationId ?? e?.Id, e?.CausationId, detail, attempt, exchange);
}
