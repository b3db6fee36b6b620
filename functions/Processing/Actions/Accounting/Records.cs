using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Accounting;

/// <summary>
/// One side of a balanced journal posting. The key derives from (tenant, source, account), so posting the
/// same invoice or payroll run again upserts the same rows instead of doubling them.
/// </summary>
[SqlTable("LedgerEntries")]
public sealed record LedgerEntry
{
    public required string EntryId { get; init; }
    public required string TenantId { get; init; }
    /// <summary>Groups the entries of one posting; its debits equal its credits.</summary>
    public required string JournalId { get; init; }
    /// <summary><see cref="LedgerSources"/>: what was posted.</summary>
    public required string SourceType { get; init; }
    public required string SourceId { get; init; }
    /// <summary>The invoice number or the payroll period, for people reading the ledger.</summary>
    public required string SourceNumber { get; init; }
    /// <summary><see cref="LedgerAccounts"/>.</summary>
    public required string Account { get; init; }
    public required decimal Debit { get; init; }
    public required decimal Credit { get; init; }
    public required string Currency { get; init; }
    /// <summary>The customer of a receivable or revenue entry; null for payroll.</summary>
    public string? CustomerId { get; init; }
    public required string Description { get; init; }
    public required DateTimeOffset PostedAt { get; init; }
}

/// <summary>The accounts Collector's events post to.</summary>
public static class LedgerAccounts
{
    public const string AccountsReceivable = "AccountsReceivable";
    public const string SalesRevenue = "SalesRevenue";
    public const string SalesTaxPayable = "SalesTaxPayable";
    public const string PayrollExpense = "PayrollExpense";
    /// <summary>Net pay and withholdings owed once payroll is processed, cleared when paid out.</summary>
    public const string PayrollPayable = "PayrollPayable";
}

public static class LedgerSources
{
    public const string Invoice = "INVOICE";
    public const string Payroll = "PAYROLL";
}
