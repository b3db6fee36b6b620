using System.Collections.Frozen;

namespace EventProcessors.Processing.Actions.Common;

/// <summary>
/// The ISO 4217 currencies money may be in, with their minor units: JPY has none, KWD, BHD, OMR, JOD, TND, LYD and IQD
/// have three (fils, baisa, millimes, dirhams), CLF and UYW four, every other listed currency two. A code outside this
/// list (a typo, a fund or metal code such as XAU, a withdrawn currency such as HRK) has no minor units to round to.
/// </summary>
public static class Currencies
{
    private static readonly FrozenDictionary<string, int> MinorUnitsByCode = Build();

    /// <summary>Whether <paramref name="code"/> (upper case) is a currency amounts can be in.</summary>
    public static bool IsKnown(string code) => MinorUnitsByCode.ContainsKey(code);

    /// <summary>The decimal places of <paramref name="code"/>'s smallest unit; the code must be <see cref="IsKnown"/>.</summary>
    public static int MinorUnits(string code) => MinorUnitsByCode.TryGetValue(code, out var units) ? units
        : throw new ArgumentException($"'{code}' is not an ISO 4217 currency.", nameof(code));

    /// <summary>
    /// <paramref name="amount"/> rounded to <paramref name="code"/>'s minor units, half away from zero (as invoices
    /// round): 1234.5 JPY is 1235, 1.2345 KWD is 1.235, 10.005 USD is 10.01.
    /// </summary>
    public static decimal Round(decimal amount, string code) => Math.Round(amount, MinorUnits(code), MidpointRounding.AwayFromZero);

    /// <summary><paramref name="amount"/> written with exactly the currency's decimal places, for ids derived from it.</summary>
    public static string Format(decimal amount, string code) =>
        Round(amount, code).ToString("F" + MinorUnits(code), System.Globalization.CultureInfo.InvariantCulture);

    private static FrozenDictionary<string, int> Build()
    {
        // Active codes of the ISO 4217 list one (2025), funds and precious metals left out (no one invoices in them).
        const string twoDecimals =
            "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY COP CRC "
            + "CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES "
            + "KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR "
            + "NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT "
            + "TOP TRY TTD TWD TZS UAH USD UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG";
        const string noDecimals = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF";
        const string threeDecimals = "BHD IQD JOD KWD LYD OMR TND";
        const string fourDecimals = "CLF UYW";
        var units = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (codes, places) in new[] { (twoDecimals, 2), (noDecimals, 0), (threeDecimals, 3), (fourDecimals, 4) })
            foreach (var code in codes.Split(' ')) units.Add(code, places);
        return units.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
