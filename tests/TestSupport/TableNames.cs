namespace EventProcessors.TestSupport;

/// <summary>Table names unique to one test, so tests can run in parallel and be rerun against a shared account.</summary>
public static class TableNames
{
    /// <summary><paramref name="prefix"/> (letters, starting with one) plus 32 random hex digits, at most 63 characters.</summary>
    public static string Unique(string prefix)
    {
        var name = prefix + Guid.NewGuid().ToString("N");
        return name.Length <= 63 ? name : name[..63];
    }
}
