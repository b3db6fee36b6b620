namespace EventProcessors.LocalHost.Cli;

public static class LocalHostCli
{
    public static Task<int> RunAsync(string[] args) => Task.FromResult(0);
}
