namespace EventProcessors.Processing.EventStore;

/// <summary>
/// Which events to list. The tenant is required: no query crosses tenants. The most selective of
/// <see cref="CorrelationId"/>, <see cref="Entity"/>, <see cref="TypePattern"/> picks the index; the others and the time
/// range filter it.
/// </summary>
public sealed record EventQuery
{
    public required string Tenant { get; init; }
    public string? CorrelationId { get; init; }

    /// <summary>The entity (partition key), e.g. an order id or a work order id.</summary>
    public string? Entity { get; init; }

    /// <summary>An exact type (<c>equipment.status.changed</c>), a prefix pattern (<c>equipment.*</c>) or <c>*</c>.</summary>
    public string? TypePattern { get; init; }

    /// <summary>Inclusive lower bound of <see cref="StoredEvent.OccurredAt"/>.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Exclusive upper bound of <see cref="StoredEvent.OccurredAt"/>.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>Events per page, 1 to 1,000. Default 100.</summary>
    public int PageSize { get; init; } = 100;

    /// <summary>The token of the previous page, or null for the first.</summary>
    public string? ContinuationToken { get; init; }

    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Tenant, nameof(Tenant));
        if (PageSize is < 1 or > 1000) throw new ArgumentOutOfRangeException(nameof(PageSize), PageSize, "A page holds 1 to 1,000 events.");
        if (TypePattern is { } p && p.IndexOf('*', StringComparison.Ordinal) is var star && star >= 0 && star != p.Length - 1)
            throw new ArgumentException($"Type pattern '{p}' may only end with '*' (e.g. equipment.*).", nameof(TypePattern));
    }

    /// <summary>Whether <paramref name="type"/> matches <see cref="TypePattern"/>.</summary>
    public bool MatchesType(string type) => TypePattern switch
    {
        null or "*" => true,
        var p when p.EndsWith('*') => type.StartsWith(p[..^1], StringComparison.Ordinal),
        var p => type == p,
    };

    /// <summary>Whether <paramref name="e"/> satisfies every condition of this query.</summary>
    public bool Matches(StoredEvent e) => e.Tenant == Tenant
        && (CorrelationId is null || e.CorrelationId == CorrelationId)
        && (Entity is null || e.Entity == Entity)
        && MatchesType(e.Type)
        && (Since is null || e.OccurredAt >= Since)
        && (Until is null || e.OccurredAt < Until);
}

/// <summary>One page of events (in time order within the index used) and the token of the next page (null on the last).</summary>
public sealed record EventPage(IReadOnlyList<StoredEvent> Events, string? ContinuationToken);

/// <summary>
/// The event store of seed 002: every event seen on both buses, appended once per (tenant, source, id), with the dead
/// letters seen in the dead-letter destinations. Implemented over Table Storage (Azure, Azurite, in memory) and
/// PostgreSQL with the same semantics. Thread-safe.
/// </summary>
public interface IEventStore
{
    /// <summary>Appends the event; false (and nothing changes) when one with its tenant, source and id is stored already.</summary>
    Task<bool> AppendAsync(StoredEvent e, CancellationToken cancellationToken = default);

    /// <summary>Records a dead letter; false when the same one (event, consumer, time) is recorded already.</summary>
    Task<bool> AppendDeadLetterAsync(StoredDeadLetter deadLetter, CancellationToken cancellationToken = default);

    Task<StoredEvent?> GetAsync(string tenant, string source, string id, CancellationToken cancellationToken = default);

    Task<EventPage> QueryAsync(EventQuery query, CancellationToken cancellationToken = default);

    /// <summary>The dead letters of one flow, oldest first.</summary>
    Task<IReadOnlyList<StoredDeadLetter>> DeadLettersAsync(string tenant, string correlationId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes what each tenant's retention (<see cref="EventStoreOptions.RetentionFor"/>) has expired, reading only the
    /// expired part of the history. Returns the events deleted.
    /// </summary>
    Task<int> SweepAsync(CancellationToken cancellationToken = default);
}

public static class EventStoreExtensions
{
    /// <summary>Every event the query matches, page after page.</summary>
    public static async IAsyncEnumerable<StoredEvent> QueryAllAsync(this IEventStore store, EventQuery query,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var next = query with { PageSize = Math.Max(query.PageSize, 500) };
        do
        {
            var page = await store.QueryAsync(next, cancellationToken).ConfigureAwait(false);
            foreach (var e in page.Events) yield return e;
            next = next with { ContinuationToken = page.ContinuationToken };
        }
        while (next.ContinuationToken is not null);
    }
}
