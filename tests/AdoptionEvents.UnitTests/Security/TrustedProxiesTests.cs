using System.Net;
using AdoptionEvents.Hosting.Database;
using AdoptionEvents.Hosting.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace AdoptionEvents.UnitTests.Security;

public class TrustedProxiesTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    [Fact]
    public void Nothing_configured_trusts_no_proxy_and_reads_no_forwarded_header()
    {
        TrustedProxies.Configured(Configuration()).ShouldBeFalse();
    }

    [Fact]
    public void Configured_proxies_and_networks_are_trusted_and_nothing_else()
    {
        var configuration = Configuration(
            ($"{TrustedProxies.ProxiesSetting}:0", "10.0.0.7"), ($"{TrustedProxies.ProxiesSetting}:1", "fd00::1"),
            (TrustedProxies.NetworksSetting, "192.168.50.0/24, 172.16.0.0/12"));
        var options = new ForwardedHeadersOptions();

        TrustedProxies.Configured(configuration).ShouldBeTrue();
        TrustedProxies.Apply(options, configuration);

        options.KnownProxies.ShouldBe([IPAddress.Parse("10.0.0.7"), IPAddress.Parse("fd00::1")]);
        options.KnownIPNetworks.ShouldBe([System.Net.IPNetwork.Parse("192.168.50.0/24"), System.Net.IPNetwork.Parse("172.16.0.0/12")]);
        options.KnownProxies.ShouldNotContain(IPAddress.Loopback);
    }

    [Theory]
    [InlineData("Hosting:ForwardedHeaders:KnownProxies", "proxy.example.org")]
    [InlineData("Hosting:ForwardedHeaders:KnownProxies", "10.0.0.0/8")]
    [InlineData("Hosting:ForwardedHeaders:KnownNetworks", "10.0.0.7")]
    [InlineData("Hosting:ForwardedHeaders:KnownNetworks", "10.0.0.0/40")]
    public void An_entry_that_is_not_an_address_or_a_range_stops_start_up_naming_the_setting(string setting, string value)
    {
        var refusal = Should.Throw<StartupConfigurationException>(() => TrustedProxies.Apply(new ForwardedHeadersOptions(), Configuration((setting, value))));

        refusal.Message.ShouldContain(setting);
        refusal.Message.ShouldContain(value);
    }
}
