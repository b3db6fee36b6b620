using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Accounting;

/// <summary>
/// Builds one balanced posting for a source document and writes its <see cref="LedgerEntry"/> rows.
/// Zero amounts are not posted (a tax-free invoice has no tax line).
/// </summary>
internal sealed class Journal(ActionContext context, string sourceType, string sourceId, string sourceNumber, string currency, DateTimeOffset postedAt)
{
    private readonly List<(string Account, decimal Debit, decimal Credit, string? CustomerId, string Description)> _lines = [];

    public Journal Debit(string account, decimal amount, string description, string? customerId = null)
    {
        _lines.Add((account, amount, 0m, customerId, description));
        return this;
    }

    public Journal Credit(string account, decimal amount, string description, string? customerId = null)
    {
        _lines.Add((account, 0m, amount, customerId, description));
        return this;
    }

    public void Post()
    {
        // Inputs were validated before; an unbalanced posting here is a bug, never bad input.
        if (_lines.Sum(l => l.Debit) != _lines.Sum(l => l.Credit))
            throw new InvalidOperationException($"{sourceType} {sourceId}: debits {_lines.Sum(l => l.Debit)} != credits {_lines.Sum(l => l.Credit)}.");
        var journalId = DerivedIds.Uuid("journal", context.Tenant, sourceType, sourceId);
        foreach (var line in _lines.Where(l => l.Debit != 0 || l.Credit != 0))
        {
            context.Write(new LedgerEntry
            {
                EntryId = DerivedIds.Uuid("ledger-entry", context.Tenant, sourceType, sourceId, line.Account),
                TenantId = context.Tenant,
                JournalId = journalId,
                SourceType = sourceType,
                SourceId = sourceId,
                SourceNumber = sourceNumber,
                Account = line.Account,
                Debit = line.Debit,
                Credit = line.Credit,
                Currency = currency,
                CustomerId = line.CustomerId,
                Description = line.Description,
                PostedAt = postedAt,
            });
        }
    }
}
