using System.Net;
using AdoptionEvents.Hosting.Database;
using AdoptionEvents.Hosting.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;

namespace AdoptionEvents.UnitTests.Security;

public class DevelopmentTokensTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    private static HostingEnvironment Environment(string name) => new() { EnvironmentName = name, ContentRootPath = Path.GetTempPath() };

    [Fact]
    public void Production_refuses_a_development_signing_key_naming_the_setting()
    {
        var configuration = Configuration((DevelopmentTokens.Setting, "a-development-key-that-is-long-enough-0123456789"));

        var refusal = Should.Throw<StartupConfigurationException>(() => DevelopmentTokens.Resolve(configuration, Environment(Environments.Production)));

        refusal.Message.ShouldContain(DevelopmentTokens.Setting);
    }

    [Fact]
    public void Production_without_a_development_key_accepts_no_development_tokens()
    {
        DevelopmentTokens.Resolve(Configuration(), Environment(Environments.Production)).ShouldBeNull();
    }

    [Fact]
    public void A_configured_key_shorter_than_32_bytes_is_refused()
    {
        Should.Throw<StartupConfigurationException>(() =>
            DevelopmentTokens.Resolve(Configuration((DevelopmentTokens.Setting, "short")), Environment(Environments.Staging)));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("172.16.5.4", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("192.168.1.1", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("::1", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fd00::1", true)]
    [InlineData("::ffff:10.0.0.1", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("2a00:1450:4009:81f::200e", false)]
    public void Private_addresses_are_recognised(string address, bool isPrivate)
    {
        WebhookTargets.IsPrivate(IPAddress.Parse(address)).ShouldBe(isPrivate);
    }

    [Fact]
    public void Policies_follow_route_prefix_and_method()
    {
        Policies.For("/api/admin/projections", "GET").ShouldBe(Policies.Administer);
        Policies.For("/api/imports", "POST").ShouldBe(Policies.Administer);
        Policies.For("/api/events/stream", "GET").ShouldBe(Policies.Integrate);
        Policies.For("/api/subscriptions/{id}", "DELETE").ShouldBe(Policies.Integrate);
        Policies.For("/api/organisations", "GET").ShouldBe(Policies.Read);
        Policies.For("/api/organisations/{id}/renames", "POST").ShouldBe(Policies.ManageOrganisations);
        Policies.For("/api/innovations/{innovationId}/events", "POST").ShouldBe(Policies.Record);
        Policies.For("/api/eventsx", "GET").ShouldBe(Policies.Read);
        Policies.For("/api/something-new", "POST").ShouldBe(Policies.Administer);
    }
}
