using System.Text;
using EventProcessors.Contracts;

namespace EventProcessors.Processing.Actions.Common;

/// <summary>
/// Ids of documents an action creates, derived from what they are created from: a re-run after a crash,
/// or a redelivered event, yields the same id, so rows upsert and follow-on events deduplicate downstream.
/// </summary>
public static class DerivedIds
{
    /// <summary>A name-based UUID of <paramref name="parts"/> (length-prefixed, so no two lists share a name); include the tenant among them.</summary>
    public static string Uuid(params ReadOnlySpan<string> parts)
    {
        var name = new StringBuilder();
        foreach (var part in parts) name.Append(part.Length).Append(':').Append(part).Append('\n');
        return DeterministicId.From(name.ToString());
    }
}

/// <summary>Human-facing document numbers derived from the number of the document they come from.</summary>
public static class DocumentNumbers
{
    /// <summary>
    /// Collector numbers documents <c>&lt;PREFIX&gt;-2024-001</c>; the order of offer OFF-2024-001 is ORD-2024-001,
    /// its delivery note DN-2024-001 and its invoice INV-2024-001. A number without the expected prefix is kept whole
    /// after the new prefix (ORD-12345), so the result stays unique and traceable.
    /// </summary>
    public static string Renumber(string source, string fromPrefix, string toPrefix) =>
        source.StartsWith(fromPrefix, StringComparison.OrdinalIgnoreCase)
            ? toPrefix + source[fromPrefix.Length..]
            : toPrefix + source;
}
