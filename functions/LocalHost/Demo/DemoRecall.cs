using EventProcessors.Processing.Actions.Traceability.State;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.LocalHost.Demo;

/// <summary>
/// The two questions of a recall, asked of the genealogy RecordGenealogy kept: which outputs contain the raw lot
/// (forward), and which lots went into a finished serial (backward).
/// </summary>
public static class DemoRecall
{
    public static async Task ShowAsync(DemoContext demo, DemoNotes notes, string rawLot, string producedLot, string serial)
    {
        var genealogy = new GenealogyStore(demo.Tables);
        // MES events carry no tenant: the plant's state is the default tenant's.
        var outputs = await genealogy.OutputsContainingLotAsync(ActionContext.DefaultTenant, rawLot);
        notes.Show($"recall forward: lot {rawLot} is in {(outputs.Count == 0 ? "nothing" : string.Join(", ", outputs))}");
        if (!outputs.Contains(GenealogyNode.Lot(producedLot))) notes.Miss($"lot {producedLot} among the outputs containing {rawLot}");

        var lots = await genealogy.LotsInSerialAsync(ActionContext.DefaultTenant, serial);
        notes.Show($"recall backward: serial {serial} contains {(lots.Count == 0 ? "no lot" : "lots " + string.Join(", ", lots))}");
        if (!lots.Contains(rawLot)) notes.Miss($"lot {rawLot} among the lots in serial {serial}");
    }
}
