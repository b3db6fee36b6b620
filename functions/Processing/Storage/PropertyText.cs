namespace EventProcessors.Processing.Storage;

/// <summary>
/// Text longer than one Table Storage string property holds (64 KiB: 32K UTF-16 characters) spread over several properties.
/// </summary>
internal static class PropertyText
{
    /// <summary>Characters per property, under the service's limit.</summary>
    public const int CharsPerProperty = 30_000;

    /// <summary><paramref name="text"/> in parts of at most <see cref="CharsPerProperty"/> characters; none for empty text.</summary>
    public static string[] Split(string text)
    {
        if (text.Length <= CharsPerProperty) return text.Length == 0 ? [] : [text];
        var parts = new string[(text.Length + CharsPerProperty - 1) / CharsPerProperty];
        for (var i = 0; i < parts.Length; i++)
            parts[i] = text.Substring(i * CharsPerProperty, Math.Min(CharsPerProperty, text.Length - i * CharsPerProperty));
        return parts;
    }
}
