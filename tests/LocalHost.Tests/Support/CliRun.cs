using System.CommandLine;
using EventProcessors.LocalHost.Cli;
using Spectre.Console;

namespace EventProcessors.LocalHost.Tests.Support;

/// <summary>The CLI as an operator runs it, on a console wide enough that no line wraps, with what it wrote kept apart.</summary>
internal static class CliRun
{
    /// <returns>The exit code, what the commands wrote to the console, and the parser's own errors.</returns>
    public static Task<(int Exit, string Text, string Errors)> RunAsync(params string[] args) => RunAsync(CancellationToken.None, args);

    /// <summary>As <see cref="RunAsync(string[])"/>, stopped (as Ctrl+C does) when <paramref name="stop"/> is cancelled.</summary>
    public static async Task<(int Exit, string Text, string Errors)> RunAsync(CancellationToken stop, params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 400;
        var exit = await LocalHostCli.Build(console).Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = errors }, stop);
        return (exit, output.ToString(), errors.ToString());
    }
}
