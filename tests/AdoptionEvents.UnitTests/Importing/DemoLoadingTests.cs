using AdoptionEvents.Importing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting.Internal;

namespace AdoptionEvents.UnitTests.Importing;

public class DemoLoadingTests
{
    private static IConfiguration Configuration(string? loadWhenEmpty) =>
        new ConfigurationBuilder().AddInMemoryCollection(loadWhenEmpty is null ? [] : [new(DemoLoader.Setting, loadWhenEmpty)]).Build();

    private static HostingEnvironment Environment(string name) => new() { EnvironmentName = name, ContentRootPath = Path.GetTempPath() };

    [Theory]
    [InlineData("Development", true)]
    [InlineData("Production", false)]
    [InlineData("Staging", false)]
    public void Unless_told_an_empty_store_gets_the_demo_journeys_in_development_only(string environment, bool loads) =>
        DemoLoader.LoadsWhenEmpty(Configuration(null), Environment(environment)).ShouldBe(loads);

    [Theory]
    [InlineData("Development", "false", false)]
    [InlineData("Production", "true", true)]
    [InlineData("Production", "false", false)]
    public void The_setting_decides_in_any_environment(string environment, string setting, bool loads) =>
        DemoLoader.LoadsWhenEmpty(Configuration(setting), Environment(environment)).ShouldBe(loads);
}
