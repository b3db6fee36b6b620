using System.Globalization;
using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Procurement.State;

/// <summary>
/// Purchase order numbers, PO-&lt;year&gt;-&lt;6-digit sequence&gt; (PO-2026-000123), counted per tenant and year in Table
/// Storage (table <c>PurchaseOrderNumbers</c>, one small document per tenant and year). Each number is taken under the
/// document's ETag, so concurrent orders never share one; a number taken by an order that then was not raised (it lost a
/// race, or its run crashed) is skipped, so the sequence may have gaps but never repeats.
/// </summary>
public sealed class PurchaseOrderNumbers(ITableServiceClient tables)
{
    public const string TableName = "PurchaseOrderNumbers";

    private readonly StateStore<Sequence> _store = new(tables, TableName);

    /// <summary>Takes the next number of <paramref name="tenant"/>'s sequence for <paramref name="year"/>.</summary>
    public async Task<string> NextAsync(string tenant, int year, CancellationToken cancellationToken)
    {
        var key = year.ToString("D4", CultureInfo.InvariantCulture);
        var taken = await _store.UpdateAsync(tenant, key, current =>
        {
            var next = new Sequence((current?.Last ?? 0) + 1);
            return (next, next.Last);
        }, cancellationToken).ConfigureAwait(false);
        return string.Create(CultureInfo.InvariantCulture, $"PO-{key}-{taken:D6}");
    }

    private sealed record Sequence(long Last);
}
