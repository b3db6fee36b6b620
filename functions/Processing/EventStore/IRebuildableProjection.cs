using EventProcessors.Contracts;

namespace EventProcessors.Processing.EventStore;

/// <summary>
/// A consumer action whose state is a projection of its events alone, so it can be rebuilt from history: replay resets
/// the state the replayed events built and runs them again, reaching the same state. Actions that move stock, issue
/// documents or emit follow-ons others act on are not: running them twice would do their effect twice.
/// </summary>
public interface IRebuildableProjection
{
    /// <summary>
    /// Removes what <paramref name="events"/> (all the events of the tenant this action consumed since
    /// <paramref name="since"/>, oldest first) contributed to its state, so replaying them rebuilds it.
    /// </summary>
    Task ResetAsync(string tenant, IReadOnlyList<CloudEvent> events, DateTimeOffset since, CancellationToken cancellationToken);
}
