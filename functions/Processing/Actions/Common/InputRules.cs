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

    /// <summary>
    /// Money as invoices and ledgers hold it: a whole number of the currency's minor units (cents for USD, yen for JPY,
    /// fils for KWD); <paramref name="currency"/> comes from <see cref="Currency"/>.
    /// </summary>
    public static decimal Money(decimal value, string currency, string path) => Currencies.Round(value, currency) == value ? value
        : throw EventValidationException.Invalid(
            $"{Field(path)} must have at most {Currencies.MinorUnits(currency)} decimal places in {currency}, but is {value}.", path);

    /// <summary>An ISO 4217 currency code such as USD (<see cref="Currencies"/>); returned in upper case.</summary>
    public static string Currency(string value, string path)
    {
        if (!CurrencyCode().IsMatch(value))
            throw EventValidationException.Invalid($"{Field(path)} must be a 3-letter ISO 4217 code, but is '{value}'.", path);
        var code = value.ToUpperInvariant();
        return Currencies.IsKnown(code) ? code
            : throw EventValidationException.Invalid($"{Field(path)} '{value}' is not an ISO 4217 currency this system can hold amounts in.", path);
    }

    public static void NotEmpty<T>(IReadOnlyCollection<T> items, string path)
    {
        if (items.Count == 0) throw EventValidationException.Invalid($"{Field(path)} must not be empty.", path);
    }

    private static string Field(string path) => path[(path.LastIndexOf('.') + 1)..];

    [GeneratedRegex("^[A-Za-z]{3}$")]
    private static partial Regex CurrencyCode();
}
