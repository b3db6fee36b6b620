using EventProcessors.Processing.Actions.Common;

namespace EventProcessors.Processing.Actions.Orders;

/// <summary>One line priced the way invoices are: every amount in whole minor units of the currency (cents, yen, fils).</summary>
/// <param name="Quantity">Units sold.</param>
/// <param name="UnitPrice">List price of one unit, before discount and tax.</param>
/// <param name="DiscountPercent">Discount on the line, 0 when none.</param>
/// <param name="TaxPercent">Tax rate on the discounted line, 0 when none.</param>
/// <param name="DiscountAmount">round(quantity x unit price x discount%).</param>
/// <param name="NetAmount">quantity x unit price - discount: what the subtotal adds up.</param>
/// <param name="TaxAmount">round(net x tax%): what the tax total adds up.</param>
/// <param name="LineTotal">net + tax.</param>
public sealed record PricedLine(
    decimal Quantity, decimal UnitPrice, decimal DiscountPercent, decimal TaxPercent,
    decimal DiscountAmount, decimal NetAmount, decimal TaxAmount, decimal LineTotal);

/// <summary>Order and invoice totals: Orders prices the offer's lines and Invoicing bills them with the same rule.</summary>
public sealed record PricedTotals(decimal Subtotal, decimal TaxTotal, decimal GrandTotal);

/// <summary>
/// Per-line discount and tax, each rounded to the currency's ISO 4217 minor units half away from zero (as invoices
/// round: whole yen, cents, fils), then summed: a total is always the sum of its printed lines, never a separately
/// rounded figure. A line without discountPercent has no discount; a line without taxPercent is not taxed (0 %, as for
/// exempt or reverse-charge goods): Collector marks both optional and sends a rate wherever one applies, so an absent
/// rate is never guessed. When that leaves the total below what the order stated, GenerateInvoice shows the difference.
/// </summary>
public static class LinePricing
{
    /// <summary>Prices a line after checking it makes sense; <paramref name="path"/> is the line's JSON path, <paramref name="currency"/> a known ISO 4217 code.</summary>
    public static PricedLine Price(decimal quantity, decimal unitPrice, decimal? discountPercent, decimal? taxPercent, string currency, string path)
    {
        InputRules.Positive(quantity, path + ".quantity");
        InputRules.NotNegative(unitPrice, path + ".unitPrice");
        var discount = InputRules.Percent(discountPercent, path + ".discountPercent") ?? 0m;
        var tax = InputRules.Percent(taxPercent, path + ".taxPercent") ?? 0m;

        var gross = Currencies.Round(quantity * unitPrice, currency);
        var discountAmount = Currencies.Round(gross * discount / 100m, currency);
        var net = gross - discountAmount;
        var taxAmount = Currencies.Round(net * tax / 100m, currency);
        return new PricedLine(quantity, unitPrice, discount, tax, discountAmount, net, taxAmount, net + taxAmount);
    }

    public static PricedTotals Totals(IEnumerable<PricedLine> lines)
    {
        decimal subtotal = 0, taxTotal = 0;
        foreach (var line in lines)
        {
            subtotal += line.NetAmount;
            taxTotal += line.TaxAmount;
        }
        return new PricedTotals(subtotal, taxTotal, subtotal + taxTotal);
    }
}
