using System.Text.RegularExpressions;
using EventProcessors.Contracts;

namespace EventProcessors.Processing.Actions.Common;

/// <summary>
/// Checks that a well-typed payload makes business sense. Each failure is invalid input, dead-lettered
/// with a reason naming the field and its JSON path, because no retry can make it succeed.
/// </summary>
public static partial class InputRules
{
    public static string NotBlank(string value, string path)
    {
        if (string.IsNullOrWhiteSpace(value)) throw EventValidationException.Invalid($"{Field(path)} must not be blank.", path);
        return value;
    }

    public static decimal Positive(decimal value, string path) => value > 0 ? value
        : throw EventValidationException.Invalid($"{Field(path)} must be positive, but is {value}.", path);

    public static decimal NotNegative(decimal value, string path) => value >= 0 ? value
        : throw EventValidationException.Invalid($"{Field(path)} must not be negative, but is {value}.", path);

    /// <summary>A percentage of a price (discount, tax): 0 to 100.</summary>
    public static decimal? Percent(decimal? value, string path) => value is null or (>= 0 and <= 100) ? value
        : throw EventValidationException.Invalid($"{Field(path)} must be between 0 and 100, but is {value}.", path);

    /// <summary>Money as invoices and ledgers hold it: whole cents.</summary>
    public static decimal Cents(decimal value, string path) => decimal.Round(value, 2) == value ? value
        : throw EventValidationException.Invalid($"{Field(path)} must have at most 2 decimal places, but is {value}.", path);

    /// <summary>An ISO 4217 code such as USD; returned in upper case.</summary>
    public static string Currency(string value, string path) => CurrencyCode().IsMatch(value)
        ? value.ToUpperInvariant()
        : throw EventValidationException.Invalid($"{Field(path)} must be a 3-letter ISO 4217 code, but is '{value}'.", path);

    public static void NotEmpty<T>(IReadOnlyCollection<T> items, string path)
    {
        if (items.Count == 0) throw EventValidationException.Invalid($"{Field(path)} must not be empty.", path);
    }

    private static string Field(string path) => path[(path.LastIndexOf('.') + 1)..];

    [GeneratedRegex("^[A-Za-z]{3}$")]
    private static partial Regex CurrencyCode();
}
