namespace EventProcessors.TestSupport;

/// <summary>Finds the platform's seed documents (../shared/seeds beside the repository).</summary>
public static class SeedDocuments
{
    public static string Directory { get; } = Locate();

    /// <summary>The text of the seed whose file name starts with <paramref name="prefix"/> (for example "003_").</summary>
    public static string Read(string prefix) =>
        File.ReadAllText(System.IO.Directory.EnumerateFiles(Directory, prefix + "*.txt").Single());

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "seeds");
            if (System.IO.Directory.Exists(candidate)) return candidate;
            candidate = Path.Combine(dir.FullName, "..", "shared", "seeds");
            if (System.IO.Directory.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "Functions.sln")))
                return Path.GetFullPath(candidate);
        }
        throw new DirectoryNotFoundException("shared/seeds was not found beside the repository.");
    }
}
