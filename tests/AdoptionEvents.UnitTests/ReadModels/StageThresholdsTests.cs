using AdoptionEvents.ReadModels.InnovationSummaries;
using Microsoft.Extensions.Configuration;

namespace AdoptionEvents.UnitTests.ReadModels;

public class StageThresholdsTests
{
    private static IConfigurationSection Stages(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create($"Stages:{s.Key}", (string?)s.Value))).Build().GetSection("Stages");

    [Fact]
    public void A_configured_lever_list_replaces_the_defaults_rather_than_adding_to_them()
    {
        var stages = StageThresholds.From(Stages(("MandatingLevers:0", "mandate"), ("ScalingShare", "0.05")));

        stages.MandatingLevers.ShouldBe(["mandate"]);
        stages.ScalingShare.ShouldBe(0.05m);
        stages.WidespreadShare.ShouldBe(new StageThresholds().WidespreadShare);
    }

    [Fact]
    public void The_shipped_lever_list_gives_the_three_levers_once()
    {
        var stages = StageThresholds.From(Stages(("MandatingLevers:0", "mandate"), ("MandatingLevers:1", "medtech_funding_mandate"), ("MandatingLevers:2", "safety_alert")));

        stages.MandatingLevers.ShouldBe(new StageThresholds().MandatingLevers);
    }

    [Fact]
    public void Without_configuration_the_defaults_hold()
    {
        StageThresholds.From(Stages()).ShouldBe(new StageThresholds(), new StageThresholdsComparer());
    }

    private sealed class StageThresholdsComparer : IEqualityComparer<StageThresholds>
    {
        public bool Equals(StageThresholds? x, StageThresholds? y) =>
            x is not null && y is not null && x with { MandatingLevers = [] } == y with { MandatingLevers = [] } && x.MandatingLevers.SequenceEqual(y.MandatingLevers);

        public int GetHashCode(StageThresholds obj) => obj.ScalingShare.GetHashCode();
    }
}
