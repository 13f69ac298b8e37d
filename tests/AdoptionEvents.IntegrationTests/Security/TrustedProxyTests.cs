using System.Net;
using AdoptionEvents.Hosting.Http;
using AdoptionEvents.IntegrationTests.Infrastructure;

namespace AdoptionEvents.IntegrationTests.Security;

/// <summary>A host behind trusted proxies (one address, one network), with a rate limit of two requests per caller.</summary>
public sealed class ProxiedApiFixture(TestDatabase database) : ApiFixture(database)
{
    public const string Proxy = "10.0.0.7";

    protected override IEnumerable<(string Key, string Value)> Settings =>
    [
        ("RateLimiting:PermitLimit", "2"),
        ("RateLimiting:WindowSeconds", "3600"),
        ("Authentication:AllowAnonymousReads", "true"),
        ($"{TrustedProxies.ProxiesSetting}:0", Proxy),
        (TrustedProxies.NetworksSetting, "192.168.50.0/24"),
        ("Integration:Webhooks:Dispatch", "false"),
    ];
}

public class TrustedProxyTests(ProxiedApiFixture api) : IClassFixture<ProxiedApiFixture>
{
    /// <summary>An anonymous read as it arrives on the connection from <paramref name="from"/>, with an X-Forwarded-For.</summary>
    private async Task<int> ReadAsync(string from, string? forwardedFor)
    {
        var context = await api.Host.Server.SendAsync(c =>
        {
            c.Request.Method = "GET";
            c.Request.Path = "/api/vocabularies";
            c.Connection.RemoteIpAddress = IPAddress.Parse(from);
            if (forwardedFor is not null)
            {
                c.Request.Headers["X-Forwarded-For"] = forwardedFor;
            }
        }, TestContext.Current.CancellationToken);
        return context.Response.StatusCode;
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_each_caller_has_a_rate_limit_of_its_own()
    {
        (await ReadAsync(ProxiedApiFixture.Proxy, "203.0.113.5")).ShouldBe(200);
        (await ReadAsync(ProxiedApiFixture.Proxy, "203.0.113.5")).ShouldBe(200);
        (await ReadAsync(ProxiedApiFixture.Proxy, "203.0.113.5")).ShouldBe(429);

        // Another caller through the same proxy, and one through two trusted hops (the network's, then the proxy).
        (await ReadAsync(ProxiedApiFixture.Proxy, "203.0.113.6")).ShouldBe(200);
        (await ReadAsync(ProxiedApiFixture.Proxy, "203.0.113.8, 192.168.50.3")).ShouldBe(200);
        (await ReadAsync(ProxiedApiFixture.Proxy, "203.0.113.8, 192.168.50.3")).ShouldBe(200);
        (await ReadAsync("192.168.50.9", "203.0.113.8")).ShouldBe(429);
    }

    [Fact]
    public async Task A_caller_that_is_not_a_trusted_proxy_cannot_choose_its_address()
    {
        // Each request claims another address; all count against the connection's own.
        (await ReadAsync("198.51.100.7", "203.0.113.20")).ShouldBe(200);
        (await ReadAsync("198.51.100.7", "203.0.113.21")).ShouldBe(200);
        (await ReadAsync("198.51.100.7", "203.0.113.22")).ShouldBe(429);
        (await ReadAsync("198.51.100.7", null)).ShouldBe(429);
    }

    [Fact]
    public async Task A_trusted_proxy_naming_an_untrusted_hop_gets_the_limit_of_that_hop_not_of_the_address_it_forwarded()
    {
        // 198.51.100.30 is not trusted, so what it says (203.0.113.40) is not believed: the caller is 198.51.100.30.
        (await ReadAsync(ProxiedApiFixture.Proxy, "203.0.113.40, 198.51.100.30")).ShouldBe(200);
        (await ReadAsync(ProxiedApiFixture.Proxy, "203.0.113.41, 198.51.100.30")).ShouldBe(200);
        (await ReadAsync(ProxiedApiFixture.Proxy, "203.0.113.42, 198.51.100.30")).ShouldBe(429);
    }
}
