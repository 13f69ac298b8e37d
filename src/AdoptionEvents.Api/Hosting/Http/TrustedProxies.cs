using System.Net;
using AdoptionEvents.Hosting.Database;
using Microsoft.AspNetCore.HttpOverrides;

namespace AdoptionEvents.Hosting.Http;

/// <summary>
/// The reverse proxies (an ingress, a load balancer) whose X-Forwarded-For and X-Forwarded-Proto the API believes, from
/// Hosting:ForwardedHeaders:KnownProxies (addresses) and KnownNetworks (CIDR ranges). Behind them, a caller is known by
/// the address the nearest trusted proxy saw, so the per-client rate limit of anonymous callers applies per caller and
/// not to the proxy as a whole. None configured (the default): the headers are ignored, since a caller who reaches the
/// API directly could write any address in them.
/// </summary>
public static class TrustedProxies
{
    public const string ProxiesSetting = "Hosting:ForwardedHeaders:KnownProxies";
    public const string NetworksSetting = "Hosting:ForwardedHeaders:KnownNetworks";

    /// <summary>True when a proxy or a network is trusted: only then are forwarded headers read at all.</summary>
    public static bool Configured(IConfiguration configuration) =>
        Values(configuration, ProxiesSetting).Count > 0 || Values(configuration, NetworksSetting).Count > 0;

    /// <summary>
    /// Trusts what is configured and nothing else (the defaults trust loopback). Throws
    /// <see cref="StartupConfigurationException"/> for an entry that is not an address or a CIDR range.
    /// </summary>
    public static void Apply(ForwardedHeadersOptions options, IConfiguration configuration)
    {
        // Each trusted proxy in turn, from the nearest, is taken off the end of X-Forwarded-For, up to the first address
        // not trusted: that is the caller.
        options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
        options.ForwardLimit = null;
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in Values(configuration, ProxiesSetting))
        {
            options.KnownProxies.Add(IPAddress.TryParse(proxy, out var address)
                ? address
                : throw new StartupConfigurationException($"{ProxiesSetting} holds '{proxy}', which is not an IP address (e.g. 10.0.0.7)"));
        }

        foreach (var network in Values(configuration, NetworksSetting))
        {
            options.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network, out var range)
                ? range
                : throw new StartupConfigurationException($"{NetworksSetting} holds '{network}', which is not a CIDR range (e.g. 10.0.0.0/8)"));
        }
    }

    private static List<string> Values(IConfiguration configuration, string setting)
    {
        var section = configuration.GetSection(setting);
        // A list (Hosting__ForwardedHeaders__KnownProxies__0=...) or one value with commas.
        var values = section.GetChildren().Select(c => c.Value).OfType<string>().ToList();
        if (section.Value is { Length: > 0 } single)
        {
            values.AddRange(single.Split(','));
        }

        return [.. values.Select(v => v.Trim()).Where(v => v.Length > 0)];
    }
}
