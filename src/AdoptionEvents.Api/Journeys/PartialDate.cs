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

    // Read once when the value is set: folds and the change log ask a date for its interval many times. It follows
    // from the value alone, so the record's equality (which compares fields) is unchanged by it.
    private readonly (int Year, int? Month, int? Day)? _parts;

    public required string Value
    {
        get => _value;
        init => (_value, _parts) = (value, Read(value));
    }

    public required DatePrecision Precision { get; init; }

    public static PartialDate Day(DateOnly date) => new() { Value = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Precision = DatePrecision.Day };

    /// <summary>Why the value cannot be read with its precision, or null when it can.</summary>
    public string? Problem()
    {
        if (Parts() is not var (year, month, day))
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
    public DateOnly Earliest
    {
        get
        {
            var (year, month, day) = Parts() ?? throw new FormatException(Problem());
            return Precision switch
            {
                DatePrecision.Day => new DateOnly(year, month!.Value, day!.Value),
                DatePrecision.Month or DatePrecision.Season => new DateOnly(year, month!.Value, 1),
                DatePrecision.Quarter => new DateOnly(year, ((month!.Value - 1) / 3 * 3) + 1, 1),
                DatePrecision.Year or DatePrecision.Decade => new DateOnly(year, 1, 1),
                DatePrecision.Approximate => Start(year, month, day).AddMonths(-6),
                _ => throw new ArgumentOutOfRangeException(nameof(Precision)),
            };
        }
    }

    [JsonIgnore]
    public DateOnly Latest
    {
        get
        {
            var (year, month, day) = Parts() ?? throw new FormatException(Problem());
            return Precision switch
            {
                DatePrecision.Day => new DateOnly(year, month!.Value, day!.Value),
                DatePrecision.Month => new DateOnly(year, month!.Value, 1).AddMonths(1).AddDays(-1),
                DatePrecision.Season => new DateOnly(year, month!.Value, 1).AddMonths(3).AddDays(-1),
                DatePrecision.Quarter => Earliest.AddMonths(3).AddDays(-1),
                DatePrecision.Year => new DateOnly(year, 12, 31),
                DatePrecision.Decade => new DateOnly(year + 9, 12, 31),
                DatePrecision.Approximate => End(year, month, day).AddMonths(6),
                _ => throw new ArgumentOutOfRangeException(nameof(Precision)),
            };
        }
    }

    /// <summary>The middle of the interval: the single date to sort and plot by.</summary>
    [JsonIgnore]
    public DateOnly Midpoint => Earliest.AddDays((Latest.DayNumber - Earliest.DayNumber) / 2);

    public override string ToString() => $"{Value} ({Precision.ToString().ToLowerInvariant()})";

    private static DateOnly Start(int year, int? month, int? day) => new(year, month ?? 1, day ?? 1);

    private static DateOnly End(int year, int? month, int? day) =>
        day is not null ? new DateOnly(year, month!.Value, day.Value)
        : month is not null ? new DateOnly(year, month.Value, 1).AddMonths(1).AddDays(-1)
        : new DateOnly(year, 12, 31);

    private (int Year, int? Month, int? Day)? Parts() => _parts;

    private static (int Year, int? Month, int? Day)? Read(string? value)
    {
        var parts = (value ?? "").Split('-');
        if (parts.Length is < 1 or > 3 || parts[0].Length != 4 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var year) || year < 1)
        {
            return null;
        }

        int? month = null, day = null;
        if (parts.Length >= 2)
        {
            if (parts[1].Length != 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var m) || m is < 1 or > 12)
            {
                return null;
            }

            month = m;
        }

        if (parts.Length == 3)
        {
            if (parts[2].Length != 2 || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var d) || d < 1 || d > DateTime.DaysInMonth(year, month!.Value))
            {
                return null;
            }

            day = d;
        }

        return (year, month, day);
    }
}
