namespace EventProcessors.Processing.Actions.Invoicing;

/// <summary>Settings of invoice generation.</summary>
public sealed class InvoicingOptions
{
    /// <summary>Configuration section the hosts bind these options from.</summary>
    public const string SectionName = "Invoicing";

    /// <summary>
    /// Days from issue to due date ("net 30"). Default 30. The events carry no per-customer terms, so one
    /// setting applies to every invoice; 0 means due on receipt.
    /// </summary>
    public int PaymentTermsDays { get; set; } = 30;
}
