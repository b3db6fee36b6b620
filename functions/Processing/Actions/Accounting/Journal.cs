using EventProcessors.Contracts;
using EventProcessors.Processing.Actions.Accounting.State;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Accounting;

/// <summary>
/// Builds one balanced posting for a source document and writes its <see cref="LedgerEntry"/> rows.
/// Zero amounts are not posted (a tax-free invoice has no tax line).
/// </summary>
/// <remarks>
/// A source is posted once (<see cref="Postings"/>): a re-sent event writes the very same rows, date included, and an
/// event with other amounts for a source already posted is refused, because upserting them would silently rewrite the
/// ledger; a correction is a posting of its own (credit note, adjustment).
/// </remarks>
internal sealed class Journal(ActionContext context, string sourceType, string sourceId, string sourceNumber, string currency, DateTimeOffset postedAt)
{
    private readonly List<PostingLine> _lines = [];

    public Journal Debit(string account, decimal amount, string description, string? customerId = null)
    {
        _lines.Add(new PostingLine { Account = account, Debit = amount, Credit = 0m, CustomerId = customerId, Description = description });
        return this;
    }

    public Journal Credit(string account, decimal amount, string description, string? customerId = null)
    {
        _lines.Add(new PostingLine { Account = account, Debit = 0m, Credit = amount, CustomerId = customerId, Description = description });
        return this;
    }

    /// <summary>Records the posting (or finds it recorded) and writes its rows; <paramref name="idPath"/> names the source id in the event.</summary>
    public async Task PostAsync(Postings postings, string idPath, CancellationToken cancellationToken)
    {
        // Inputs were validated before; an unbalanced posting here is a bug, never bad input.
        if (_lines.Sum(l => l.Debit) != _lines.Sum(l => l.Credit))
            throw new InvalidOperationException($"{sourceType} {sourceId}: debits {_lines.Sum(l => l.Debit)} != credits {_lines.Sum(l => l.Credit)}.");
        var candidate = new Posting
        {
            SourceType = sourceType, SourceId = sourceId, SourceNumber = sourceNumber, Currency = currency, PostedAt = postedAt,
            Lines = _lines.Where(l => l.Debit != 0 || l.Credit != 0).ToArray(),
        };
        var posted = await postings.RecordAsync(context.Tenant, candidate, cancellationToken).ConfigureAwait(false);
        if (!posted.SameAmountsAs(candidate))
            throw EventValidationException.Invalid(
                $"{sourceType} {posted.SourceNumber} ({sourceId}) is already posted with other amounts; a correction is a posting of its own (credit note, adjustment), not a re-sent event.",
                idPath);

        var journalId = DerivedIds.Uuid("journal", context.Tenant, sourceType, sourceId);
        foreach (var line in posted.Lines)
        {
            context.Write(new LedgerEntry
            {
                EntryId = DerivedIds.Uuid("ledger-entry", context.Tenant, sourceType, sourceId, line.Account),
                TenantId = context.Tenant,
                JournalId = journalId,
                SourceType = sourceType,
                SourceId = sourceId,
                SourceNumber = posted.SourceNumber,
                Account = line.Account,
                Debit = line.Debit,
                Credit = line.Credit,
                Currency = posted.Currency,
                CustomerId = line.CustomerId,
                Description = line.Description,
                PostedAt = posted.PostedAt,
            });
        }
    }
}
