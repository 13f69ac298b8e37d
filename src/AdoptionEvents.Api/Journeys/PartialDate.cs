using System.Globalization;
using System.Text.Json.Serialization;

namespace AdoptionEvents.Journeys;

public enum DatePrecision
{
    Day,
    Month,
    Quarter,
    Season,
    Year,
    Decade,
    Approximate,
}

/// <summary>
/// A historical date as precise as its source: an ISO prefix (YYYY, YYYY-MM or YYYY-MM-DD) read with a
/// precision. "2012-12" with Season means winter 2012/13; "2000" with Decade means the 2000s. It stands
/// for an interval [Earliest, Latest], so durations computed from it are intervals too.
/// </summary>
public sealed record PartialDate
{
    private readonly string _value = "";
    private readonly DatePrecision _precision;

    // Read once when the value or the precision is set: folds, as-of cuts and the change log ask a date for its
    // interval many times per request. Both follow from the value and precision alone, so the record's equality
    // (which compares fields) is unchanged by them. No interval: the value cannot be read with its precision,
    // and the properties throw as they always have.
    private readonly (int Year, int? Month, int? Day)? _parts;
    private readonly (DateOnly Earliest, DateOnly Latest, DateOnly Midpoint)? _interval;

    public required string Value
    {
        get => _value;
        init
        {
            _value = value;
            _parts = Read(value);
            _interval = Interval(_parts, _precision);
        }
    }

    public required DatePrecision Precision
    {
        get => _precision;
        init => (_precision, _interval) = (value, Interval(_parts, value));
    }

    public static PartialDate Day(DateOnly date) => new() { Value = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Precision = DatePrecision.Day };

    /// <summary>Why the value cannot be read with its precision, or null when it can.</summary>
    public string? Problem()
    {
        if (_parts is not var (year, month, day))
        {
            return $"'{Value}' is not an ISO date prefix (YYYY, YYYY-MM or YYYY-MM-DD)";
        }

        return Precision switch
        {
            DatePrecision.Day when day is null => $"precision day needs YYYY-MM-DD, got '{Value}'",
            DatePrecision.Month or DatePrecision.Quarter or DatePrecision.Season when month is null =>
                $"precision {Precision.ToString().ToLowerInvariant()} needs at least YYYY-MM, got '{Value}'",
            DatePrecision.Decade when year % 10 != 0 => $"precision decade needs the decade's first year (e.g. 2000), got '{Value}'",
            _ => null,
        };
    }

    [JsonIgnore]
    public DateOnly Earliest => _interval?.Earliest ?? Bounds().Earliest;

    [JsonIgnore]
    public DateOnly Latest => _interval?.Latest ?? Bounds().Latest;

    /// <summary>The middle of the interval: the single date to sort and plot by.</summary>
    [JsonIgnore]
    public DateOnly Midpoint => _interval?.Midpoint ?? Middle(Bounds());

    public override string ToString() => $"{Value} ({Precision.ToString().ToLowerInvariant()})";

    // The interval of a value read with its precision; null where Bounds would throw (the value unread, a part the
    // precision needs missing, or an end past the calendar's: an approximate year 1, the decade of 9991 onwards).
    private static (DateOnly, DateOnly, DateOnly)? Interval((int Year, int? Month, int? Day)? parts, DatePrecision precision)
    {
        if (parts is not var (year, month, day)
            || year is < 2 or > 9990
            || (precision == DatePrecision.Day && day is null)
            || (precision is DatePrecision.Month or DatePrecision.Quarter or DatePrecision.Season && month is null)
            || precision is < DatePrecision.Day or > DatePrecision.Approximate)
        {
            return null;
        }

        var bounds = Bounds(year, month, day, precision);
        return (bounds.Earliest, bounds.Latest, Middle(bounds));
    }

    private static DateOnly Middle((DateOnly Earliest, DateOnly Latest) bounds) =>
        bounds.Earliest.AddDays((bounds.Latest.DayNumber - bounds.Earliest.DayNumber) / 2);

    // The interval computed on each read, for the values Interval leaves out: it throws for most of them.
    private (DateOnly Earliest, DateOnly Latest) Bounds()
    {
        var (year, month, day) = _parts ?? throw new FormatException(Problem());
        return Bounds(year, month, day, Precision);
    }

    private static (DateOnly Earliest, DateOnly Latest) Bounds(int year, int? month, int? day, DatePrecision precision) => precision switch
    {
        DatePrecision.Day => (new DateOnly(year, month!.Value, day!.Value), new DateOnly(year, month.Value, day.Value)),
        DatePrecision.Month => (new DateOnly(year, month!.Value, 1), new DateOnly(year, month.Value, 1).AddMonths(1).AddDays(-1)),
        DatePrecision.Season => (new DateOnly(year, month!.Value, 1), new DateOnly(year, month.Value, 1).AddMonths(3).AddDays(-1)),
        DatePrecision.Quarter => (new DateOnly(year, ((month!.Value - 1) / 3 * 3) + 1, 1), new DateOnly(year, ((month.Value - 1) / 3 * 3) + 1, 1).AddMonths(3).AddDays(-1)),
        DatePrecision.Year => (new DateOnly(year, 1, 1), new DateOnly(year, 12, 31)),
        DatePrecision.Decade => (new DateOnly(year, 1, 1), new DateOnly(year + 9, 12, 31)),
        DatePrecision.Approximate => (new DateOnly(year, month ?? 1, day ?? 1).AddMonths(-6), End(year, month, day).AddMonths(6)),
        _ => throw new ArgumentOutOfRangeException(nameof(precision)),
    };

    private static DateOnly End(int year, int? month, int? day) =>
        day is not null ? new DateOnly(year, month!.Value, day.Value)
        : month is not null ? new DateOnly(year, month.Value, 1).AddMonths(1).AddDays(-1)
        : new DateOnly(year, 12, 31);

    /// <summary>YYYY, YYYY-MM or YYYY-MM-DD in ASCII digits, a real date from year 1; null for anything else.</summary>
    private static (int Year, int? Month, int? Day)? Read(string? value)
    {
        if (value is null || value.Length is not (4 or 7 or 10) || !Digits(value, 0, 4, out var year) || year < 1)
        {
            return null;
        }

        int? month = null, day = null;
        if (value.Length >= 7)
        {
            if (value[4] != '-' || !Digits(value, 5, 2, out var m) || m is < 1 or > 12)
            {
                return null;
            }

            month = m;
        }

        if (value.Length == 10)
        {
            if (value[7] != '-' || !Digits(value, 8, 2, out var d) || d < 1 || d > DateTime.DaysInMonth(year, month!.Value))
            {
                return null;
            }

            day = d;
        }

        return (year, month, day);
    }

    private static bool Digits(string value, int start, int length, out int number)
    {
        number = 0;
        for (var i = start; i < start + length; i++)
        {
            if (value[i] is < '0' or > '9')
            {
                return false;
            }

            number = (number * 10) + (value[i] - '0');
        }

        return true;
    }
}
