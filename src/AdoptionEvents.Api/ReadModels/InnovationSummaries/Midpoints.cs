using AdoptionEvents.Journeys;

namespace AdoptionEvents.ReadModels.InnovationSummaries;

/// <summary>
/// <see cref="PartialDate.Midpoint"/> without its string splitting: folding a long journey reads a
/// midpoint several times per event, and the property splits and parses its ISO prefix on each read.
/// Well-formed values of years 2 to 9990 are read here from the characters; every other value is left
/// to the property, so the answer (or the exception) is always the property's own.
/// </summary>
public static class Midpoints
{
    public static DateOnly Of(PartialDate date)
    {
        if (!TryRead(date.Value, out var year, out var month, out var day))
        {
            return date.Midpoint;
        }

        DateOnly earliest, latest;
        switch (date.Precision)
        {
            case DatePrecision.Day when day > 0:
                return new DateOnly(year, month, day);
            case DatePrecision.Month when month > 0:
                earliest = new DateOnly(year, month, 1);
                latest = earliest.AddMonths(1).AddDays(-1);
                break;
            case DatePrecision.Season when month > 0:
                earliest = new DateOnly(year, month, 1);
                latest = earliest.AddMonths(3).AddDays(-1);
                break;
            case DatePrecision.Quarter when month > 0:
                earliest = new DateOnly(year, ((month - 1) / 3 * 3) + 1, 1);
                latest = earliest.AddMonths(3).AddDays(-1);
                break;
            case DatePrecision.Year:
                (earliest, latest) = (new DateOnly(year, 1, 1), new DateOnly(year, 12, 31));
                break;
            case DatePrecision.Decade:
                (earliest, latest) = (new DateOnly(year, 1, 1), new DateOnly(year + 9, 12, 31));
                break;
            case DatePrecision.Approximate:
                earliest = new DateOnly(year, month > 0 ? month : 1, day > 0 ? day : 1).AddMonths(-6);
                latest = (day > 0 ? new DateOnly(year, month, day)
                    : month > 0 ? new DateOnly(year, month, 1).AddMonths(1).AddDays(-1)
                    : new DateOnly(year, 12, 31)).AddMonths(6);
                break;
            default:
                return date.Midpoint;
        }

        return earliest.AddDays((latest.DayNumber - earliest.DayNumber) / 2);
    }

    /// <summary>YYYY, YYYY-MM or YYYY-MM-DD in ASCII digits, a real date, year 2 to 9990 (0: part absent).</summary>
    private static bool TryRead(string? value, out int year, out int month, out int day)
    {
        (year, month, day) = (0, 0, 0);
        if (value is null || value.Length is not (4 or 7 or 10) || !TryDigits(value, 0, 4, out year) || year is < 2 or > 9990)
        {
            return false;
        }

        if (value.Length >= 7 && (value[4] != '-' || !TryDigits(value, 5, 2, out month) || month is < 1 or > 12))
        {
            return false;
        }

        return value.Length < 10 || (value[7] == '-' && TryDigits(value, 8, 2, out day) && day >= 1 && day <= DateTime.DaysInMonth(year, month));
    }

    private static bool TryDigits(string value, int start, int length, out int number)
    {
        number = 0;
        for (var i = start; i < start + length; i++)
        {
            var c = value[i];
            if (c is < '0' or > '9')
            {
                return false;
            }

            number = (number * 10) + (c - '0');
        }

        return true;
    }
}
