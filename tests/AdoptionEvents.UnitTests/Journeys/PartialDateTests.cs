using System.Globalization;
using AdoptionEvents.Journeys;

namespace AdoptionEvents.UnitTests.Journeys;

public class PartialDateTests
{
    [Theory]
    [InlineData("2012-03-14", DatePrecision.Day, "2012-03-14", "2012-03-14")]
    [InlineData("2012-03", DatePrecision.Month, "2012-03-01", "2012-03-31")]
    [InlineData("2012-02", DatePrecision.Quarter, "2012-01-01", "2012-03-31")]
    [InlineData("2012-12", DatePrecision.Season, "2012-12-01", "2013-02-28")]
    [InlineData("2012", DatePrecision.Year, "2012-01-01", "2012-12-31")]
    [InlineData("2000", DatePrecision.Decade, "2000-01-01", "2009-12-31")]
    [InlineData("2016", DatePrecision.Approximate, "2015-07-01", "2017-06-30")]
    public void An_imprecise_date_stands_for_an_interval(string value, DatePrecision precision, string earliest, string latest)
    {
        var date = new PartialDate { Value = value, Precision = precision };

        date.Problem().ShouldBeNull();
        (date.Earliest, date.Latest).ShouldBe((DateOnly.Parse(earliest), DateOnly.Parse(latest)));
    }

    [Theory]
    [InlineData("2012", DatePrecision.Day, "precision day needs YYYY-MM-DD")]
    [InlineData("2012", DatePrecision.Season, "needs at least YYYY-MM")]
    [InlineData("2013", DatePrecision.Decade, "decade's first year")]
    [InlineData("12-03-2012", DatePrecision.Day, "not an ISO date prefix")]
    [InlineData("2012-13", DatePrecision.Month, "not an ISO date prefix")]
    [InlineData("2011-02-29", DatePrecision.Day, "not an ISO date prefix")]
    public void A_value_that_does_not_fit_its_precision_says_why(string value, DatePrecision precision, string problem)
    {
        new PartialDate { Value = value, Precision = precision }.Problem().ShouldNotBeNull().ShouldContain(problem);
    }

    [Fact]
    public void The_midpoint_lies_inside_the_interval()
    {
        var date = new PartialDate { Value = "2019", Precision = DatePrecision.Year };

        date.Midpoint.ShouldBe(new DateOnly(2019, 7, 2));
    }

    [Fact]
    public void A_date_made_with_another_value_or_precision_reads_the_interval_of_its_own()
    {
        var month = new PartialDate { Value = "2012-12", Precision = DatePrecision.Month };

        var season = month with { Precision = DatePrecision.Season };
        var later = month with { Value = "2013-04" };

        (season.Earliest, season.Latest).ShouldBe((new DateOnly(2012, 12, 1), new DateOnly(2013, 2, 28)));
        (later.Earliest, later.Latest).ShouldBe((new DateOnly(2013, 4, 1), new DateOnly(2013, 4, 30)));
        (month.Earliest, month.Latest).ShouldBe((new DateOnly(2012, 12, 1), new DateOnly(2012, 12, 31)));
        (season with { Precision = DatePrecision.Month }).ShouldBe(month);
    }

    [Fact]
    public void Every_value_and_precision_reads_as_the_definition_says_valid_or_not()
    {
        var compared = 0;
        foreach (var value in Values())
        {
            foreach (var precision in Enum.GetValues<DatePrecision>())
            {
                var date = new PartialDate { Value = value, Precision = precision };
                var expected = Definition(value, precision);
                var label = $"{value} ({precision})";
                Try(() => date.Earliest).ShouldBe(Try(() => expected().Earliest), label);
                Try(() => date.Latest).ShouldBe(Try(() => expected().Latest), label);
                Try(() => date.Midpoint).ShouldBe(Try(() => expected().Earliest.AddDays((expected().Latest.DayNumber - expected().Earliest.DayNumber) / 2)), label);
                compared++;
            }
        }

        compared.ShouldBeGreaterThan(10_000);
    }

    private static IEnumerable<string> Values()
    {
        // Every day of four years (a leap year among them), every month and year of two centuries, the edges of the calendar.
        for (var d = new DateOnly(2011, 1, 1); d <= new DateOnly(2014, 12, 31); d = d.AddDays(1))
        {
            yield return d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        }

        for (var year = 1900; year <= 2100; year++)
        {
            yield return year.ToString("D4", CultureInfo.InvariantCulture);
            for (var month = 1; month <= 12; month++)
            {
                yield return $"{year:D4}-{month:D2}";
            }
        }

        foreach (var edge in new[] { "0001", "0002", "0001-01", "0001-07-01", "0002-01-01", "9990", "9990-12", "9991", "9999", "9999-12", "9999-12-31", "0000" })
        {
            yield return edge;
        }

        // Not dates.
        foreach (var bad in new[] { "", "201", "20155", "2015-1", "2015-13", "2015-00", "2015-02-30", "2015-02-29", "2016-02-29", "2015/03", "2015-03-", "2015-03-1x",
            "２０１５", "-2015", "+201", " 2015", "2015 ", "2015-03-04T00", "abcd", "2015--03", "2015-03-04-05" })
        {
            yield return bad;
        }
    }

    /// <summary>The interval as the brief defines it, read afresh from the split ISO prefix: what the date must agree with, exceptions included.</summary>
    private static Func<(DateOnly Earliest, DateOnly Latest)> Definition(string value, DatePrecision precision) => () =>
    {
        var parts = value.Split('-');
        if (parts.Length > 3 || parts[0].Length != 4 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var year) || year < 1
            || parts.Skip(1).Any(p => p.Length != 2 || !int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            throw new FormatException();
        }

        int? month = parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : null;
        int? day = parts.Length > 2 ? int.Parse(parts[2], CultureInfo.InvariantCulture) : null;
        if (month is < 1 or > 12 || (day is { } d && (d < 1 || d > DateTime.DaysInMonth(year, month!.Value))))
        {
            throw new FormatException();
        }

        DateOnly First(int m) => new(year, m, 1);
        return precision switch
        {
            DatePrecision.Day => (new DateOnly(year, month!.Value, day!.Value), new DateOnly(year, month.Value, day.Value)),
            DatePrecision.Month => (First(month!.Value), First(month.Value).AddMonths(1).AddDays(-1)),
            DatePrecision.Season => (First(month!.Value), First(month.Value).AddMonths(3).AddDays(-1)),
            DatePrecision.Quarter => (First(((month!.Value - 1) / 3 * 3) + 1), First(((month.Value - 1) / 3 * 3) + 1).AddMonths(3).AddDays(-1)),
            DatePrecision.Year => (First(1), new DateOnly(year, 12, 31)),
            DatePrecision.Decade => (First(1), new DateOnly(year + 9, 12, 31)),
            DatePrecision.Approximate => (new DateOnly(year, month ?? 1, day ?? 1).AddMonths(-6),
                (day is not null ? new DateOnly(year, month!.Value, day.Value) : month is not null ? First(month.Value).AddMonths(1).AddDays(-1) : new DateOnly(year, 12, 31)).AddMonths(6)),
            _ => throw new ArgumentOutOfRangeException(nameof(precision)),
        };
    };

    private static (DateOnly? Value, Type? Error) Try(Func<DateOnly> read)
    {
        try
        {
            return (read(), null);
        }
        catch (Exception e)
        {
            return (null, e.GetType());
        }
    }
}
