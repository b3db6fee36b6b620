using System.Globalization;

namespace EventProcessors.Bench.Harness;

/// <summary>The benchmark failed to measure what it claims (a run did not drain, a contender crashed): the figures would lie.</summary>
public sealed class BenchFailure(string message) : Exception(message);

/// <summary><c>--name value</c> options; every value has a default, so a bare command runs the documented benchmark.</summary>
public sealed class BenchArgs(IReadOnlyList<string> args)
{
    public IReadOnlyList<string> Raw => args;

    public string? Value(string name)
    {
        for (var i = 0; i < args.Count - 1; i++)
            if (args[i] == "--" + name) return args[i + 1];
        return null;
    }

    public string Text(string name, string fallback) => Value(name) ?? fallback;

    public int Int(string name, int fallback) => Value(name) is { } text
        ? int.TryParse(text.Replace("_", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new BenchFailure($"--{name} '{text}' is not a whole number >= 0.")
        : fallback;

    public double Double(string name, double fallback) => Value(name) is { } text
        ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new BenchFailure($"--{name} '{text}' is not a positive number.")
        : fallback;

    public IReadOnlyList<string> List(string name, params string[] fallback) =>
        Value(name) is { } text ? text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : fallback;

    public bool Flag(string name) => args.Contains("--" + name);
}
