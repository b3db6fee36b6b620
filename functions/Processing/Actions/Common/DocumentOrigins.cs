using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Common;

/// <summary>Which document was made from a source, and by which event.</summary>
/// <param name="DocumentId">The document created (order, delivery note, invoice).</param>
/// <param name="EventId">The event that created it; only that event may emit its follow-ons again.</param>
public sealed record DocumentOrigin(string DocumentId, string EventId);

/// <summary>How an event stands towards the document it would create from its source.</summary>
public enum OriginClaim
{
    /// <summary>This event creates the document (first time, or a re-run after a crash): emit and write.</summary>
    Owner,
    /// <summary>Another event already created this same document (a re-sent copy): nothing to do.</summary>
    AlreadyCreated,
    /// <summary>The source already produced a different document (for example a second invoice for one order).</summary>
    Conflict,
}

/// <summary>
/// One document per source: one order per offer, one delivery note per order, one invoice per order.
/// Collector events carry no ids, so a re-sent copy is a different event to the pipeline's idempotency
/// records; this table (partitioned by tenant, ETag-guarded) stops it from creating the document twice.
/// </summary>
public sealed class DocumentOrigins(ITableServiceClient tables)
{
    public const string TableName = "DocumentOrigins";

    private readonly StateStore<DocumentOrigin> _store = new(tables, TableName);

    /// <summary>Records <paramref name="candidate"/> as the <paramref name="kind"/> made from <paramref name="sourceId"/> unless one is recorded; says where the caller stands.</summary>
    public async Task<(OriginClaim Claim, DocumentOrigin Origin)> ClaimAsync(
        string tenant, string kind, string sourceId, DocumentOrigin candidate, CancellationToken cancellationToken)
    {
        // Insert first: almost every claim is a new source, which then costs one operation instead of a read and an insert.
        var origin = await _store.AddOrGetAsync(tenant, $"{kind}/{sourceId}", candidate, cancellationToken).ConfigureAwait(false);
        var claim = origin.EventId == candidate.EventId ? OriginClaim.Owner
            : origin.DocumentId == candidate.DocumentId ? OriginClaim.AlreadyCreated
            : OriginClaim.Conflict;
        return (claim, origin);
    }

    public async Task<DocumentOrigin?> GetAsync(string tenant, string kind, string sourceId, CancellationToken cancellationToken) =>
        (await _store.GetAsync(tenant, $"{kind}/{sourceId}", cancellationToken).ConfigureAwait(false))?.Value;
}
