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
}
