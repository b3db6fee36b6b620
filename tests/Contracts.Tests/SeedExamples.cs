using System.Text.RegularExpressions;
using EventProcessors.TestSupport;

namespace EventProcessors.Contracts.Tests;

/// <summary>
/// The Collector event examples exactly as seed 003 shows them, read from the document itself. They are
/// TypeScript object literals (unquoted keys, <c>name?:</c> for optional fields); quoting the keys and
/// dropping the <c>?</c> gives the JSON a Collector service sends, values untouched.
/// </summary>
public static partial class SeedExamples
{
    public static IReadOnlyDictionary<string, string> Collector { get; } = ReadCollector();

    public static IEnumerable<object[]> CollectorTypes => Collector.Keys.Select(k => new object[] { k });

    private static Dictionary<string, string> ReadCollector()
    {
        var text = SeedDocuments.Read("003_");
        return Schema().Matches(text).ToDictionary(
            m => m.Groups["type"].Value,
            m => TypeScriptKey().Replace(m.Groups["body"].Value, "${indent}\"${key}\":"));
    }

    [GeneratedRegex(@"^### \d+\. (?<type>[a-z.\-]+)\s.*?```typescript\s*(?<body>\{.*?\n\})\s*```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex Schema();

    [GeneratedRegex(@"^(?<indent>\s*)(?<key>[A-Za-z]\w*)\??:", RegexOptions.Multiline)]
    private static partial Regex TypeScriptKey();
}
