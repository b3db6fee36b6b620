namespace EventProcessors.TestSupport;

/// <summary>Finds files of this repository from a test's output folder.</summary>
public static class RepositoryFiles
{
    public static string Root { get; } = Locate();

    public static string PathOf(string relativePath) => Path.Combine(Root, relativePath);

    public static string Read(string relativePath) => File.ReadAllText(PathOf(relativePath));

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Functions.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("The repository root (with Functions.sln) was not found above " + AppContext.BaseDirectory);
    }
}
