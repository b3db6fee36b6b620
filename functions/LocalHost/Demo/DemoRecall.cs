namespace EventProcessors.LocalHost.Demo;

/// <summary>The recall query at the end of the production run: which finished lots contain a raw lot.</summary>
public static class DemoRecall
{
    public static Task ShowAsync(DemoContext demo, DemoNotes notes, string producedLot, string rawLot)
    {
        if (!demo.Has("RecordGenealogy"))
        {
            notes.Skip($"recall query for {rawLot} (RecordGenealogy is not in this build)");
            return Task.CompletedTask;
        }
        notes.Skip($"recall query for {rawLot} → {producedLot} (genealogy store not wired yet)");
        return Task.CompletedTask;
    }
}
