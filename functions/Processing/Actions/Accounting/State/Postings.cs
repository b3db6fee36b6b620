using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Accounting.State;

/// <summary>A journal posting as first made: its lines (zero lines left out), in one currency, dated once.</summary>
public sealed record Posting
{
    public required string SourceType { get; init; }
    public required string SourceId { get; init; }
    public required string SourceNumber { get; init; }
    public required string Currency { get; init; }
    /// <summary>When it was first posted; every later posting of the same source keeps this date.</summary>
    public required DateTimeOffset PostedAt { get; init; }
    public required IReadOnlyList<PostingLine> Lines { get; init; }

    /// <summary>Whether <paramref name="other"/> posts the same amounts to the same accounts and customers, in the same currency.</summary>
    public bool SameAmountsAs(Posting other) =>
        Currency == other.Currency && Lines.Select(l => (l.Account, l.Debit, l.Credit, l.CustomerId))
            .SequenceEqual(other.Lines.Select(l => (l.Account, l.Debit, l.Credit, l.CustomerId)));
}

public sealed record PostingLine
{
    public required string Account { get; init; }
    public required decimal Debit { get; init; }
    public required decimal Credit { get; init; }
    /// <summary>The customer of a receivable or revenue line; null otherwise.</summary>
    public string? CustomerId { get; init; }
    public required string Description { get; init; }
}

/// <summary>
/// Every journal posting in Table Storage (table <c>JournalPostings</c>), one document per (tenant, source), written
/// once by the first event that posts it: ledger rows are SQL upserts (last writer wins), so a source is posted with one
/// set of figures only. CRM reads an invoice's posting to settle payments against its receivable line.
/// </summary>
public sealed class Postings(ITableServiceClient tables)
{
    public const string TableName = "JournalPostings";

    private readonly StateStore<Posting> _store = new(tables, TableName);

    public async Task<Posting?> GetAsync(string tenant, string sourceType, string sourceId, CancellationToken cancellationToken) =>
        (await _store.GetAsync(tenant, Id(sourceType, sourceId), cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>Records <paramref name="candidate"/> unless its source is already posted; returns the posting that stands.</summary>
    public Task<Posting> RecordAsync(string tenant, Posting candidate, CancellationToken cancellationToken) =>
        _store.UpdateAsync(tenant, Id(candidate.SourceType, candidate.SourceId),
            current => current is null ? (candidate, candidate) : (null, current), cancellationToken);

    private static string Id(string sourceType, string sourceId) => sourceType + "/" + sourceId;
}
