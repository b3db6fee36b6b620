namespace EventProcessors.LocalHost.Transport;

/// <summary>
/// AMQP topic matching: words separated by dots; <c>*</c> matches exactly one word, <c>#</c> zero or more.
/// </summary>
public static class TopicPattern
{
    public static bool Matches(string pattern, string routingKey) =>
        Match(pattern.Split('.'), 0, routingKey.Length == 0 ? [] : routingKey.Split('.'), 0);

    private static bool Match(string[] pattern, int p, string[] key, int k)
    {
        while (true)
        {
            if (p == pattern.Length) return k == key.Length;
            var word = pattern[p];
            if (word == "#")
            {
                // # swallows zero or more words: try every split.
                for (var skip = k; skip <= key.Length; skip++)
                    if (Match(pattern, p + 1, key, skip)) return true;
                return false;
            }
            if (k == key.Length) return false;
            if (word != "*" && !string.Equals(word, key[k], StringComparison.Ordinal)) return false;
            p++;
            k++;
        }
    }
}
