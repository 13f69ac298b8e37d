using AdoptionEvents.Hosting;
using AdoptionEvents.Hosting.Database;
using Microsoft.Extensions.Configuration;

namespace AdoptionEvents.UnitTests.Hosting;

public class StuckGapSkipTests
{
    private static IConfiguration Settings(string? after) =>
        new ConfigurationBuilder().AddInMemoryCollection([KeyValuePair.Create(StuckGapSkip.Setting, after)]).Build();

    [Fact]
    public void The_daemon_passes_a_gap_held_by_an_open_transaction_after_five_minutes_unless_configured()
    {
        StuckGapSkip.From(Settings(null)).After.ShouldBe(TimeSpan.FromMinutes(5));
        StuckGapSkip.From(Settings("00:00:30")).After.ShouldBe(TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData("never")]
    [InlineData(" Never ")]
    public void Never_keeps_Martens_own_hold_for_as_long_as_the_transaction_is_open(string after)
    {
        StuckGapSkip.From(Settings(after)).After.ShouldBeNull();
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:00:00.500")]
    [InlineData("-00:05:00")]
    [InlineData("2.00:00:00")]
    [InlineData("soon")]
    public void A_cap_under_a_second_over_a_day_or_not_a_time_stops_the_start_naming_the_setting(string after)
    {
        var refused = Should.Throw<StartupConfigurationException>(() => StuckGapSkip.From(Settings(after)));

        refused.Message.ShouldContain(StuckGapSkip.Setting);
        refused.Message.ShouldContain(after);
    }
}
