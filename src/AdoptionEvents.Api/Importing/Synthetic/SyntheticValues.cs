using System.Globalization;
using AdoptionEvents.Journeys;

namespace AdoptionEvents.Importing.Synthetic;

/// <summary>Dates and amounts of the generated journeys, from a fractional year such as 2016.4.</summary>
internal static class SyntheticValues
{
    public static PartialDate Year(double at) => new() { Value = ((int)Math.Floor(at)).ToString(CultureInfo.InvariantCulture), Precision = DatePrecision.Year };

    public static PartialDate Month(double at)
    {
        var year = (int)Math.Floor(at);
        var month = Math.Clamp((int)Math.Floor((at - year) * 12) + 1, 1, 12);
        return new PartialDate { Value = $"{year:D4}-{month:D2}", Precision = DatePrecision.Month };
    }

    public static Money Gbp(decimal amount) => new() { Amount = amount, Currency = "GBP" };
}
