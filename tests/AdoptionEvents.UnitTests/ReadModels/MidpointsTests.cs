using System.Globalization;
using AdoptionEvents.Journeys;
using AdoptionEvents.ReadModels.InnovationSummaries;

namespace AdoptionEvents.UnitTests.ReadModels;

public class MidpointsTests
{
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

        // Not dates: left to the property, whatever it does with them.
        foreach (var bad in new[] { "", "201", "20155", "2015-1", "2015-13", "2015-00", "2015-02-30", "2015-02-29", "2016-02-29", "2015/03", "2015-03-", "2015-03-1x",
            "２０１５", "-2015", "+201", " 2015", "2015 ", "2015-03-04T00", "abcd", "2015--03", "2015-03-04-05" })
        {
            yield return bad;
        }
    }

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

    [Fact]
    public void The_midpoint_is_the_propertys_own_for_every_precision_and_every_value_valid_or_not()
    {
        var compared = 0;
        foreach (var value in Values())
        {
            foreach (var precision in Enum.GetValues<DatePrecision>())
            {
                var date = new PartialDate { Value = value, Precision = precision };
                Try(() => Midpoints.Of(date)).ShouldBe(Try(() => date.Midpoint), $"{value} ({precision})");
                compared++;
            }
        }

        compared.ShouldBeGreaterThan(10_000);
    }
}
