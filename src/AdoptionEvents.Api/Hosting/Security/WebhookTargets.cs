using System.Net;
using System.Net.Sockets;

namespace AdoptionEvents.Hosting.Security;

/// <summary>
/// Where webhooks may be sent: not to this machine, its link-local neighbours or private networks
/// (a subscription must not turn the API into a way into the internal network), unless
/// Integration:Webhooks:AllowPrivateTargets is true (tests, a private deployment). Checked when a
/// subscription is registered, and again on every connection a delivery opens (a host whose DNS later
/// points inside is refused then).
/// </summary>
public sealed class WebhookTargets(IConfiguration configuration)
{
    public const string AllowPrivateSetting = "Integration:Webhooks:AllowPrivateTargets";

    private readonly bool _allowPrivate = configuration.GetValue(AllowPrivateSetting, false);

    /// <summary>A refusal when the URL names, or its host resolves to, a loopback, link-local or private address.</summary>
    public async Task<Refusal?> CheckAsync(string url, CancellationToken ct)
    {
        if (_allowPrivate || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return null;
        }

        IPAddress[] addresses;
        if (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var literal))
        {
            addresses = [literal];
        }
        else if (uri.IsLoopback || uri.IdnHost.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            addresses = [IPAddress.Loopback];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(uri.IdnHost, ct);
            }
            catch (SocketException)
            {
                return Refusal.BadInput("url", "resolvable-host", $"the host of {url} does not resolve");
            }
        }

        return addresses.FirstOrDefault(IsPrivate) is { } found
            ? Refusal.BadInput("url", "public-target",
                $"webhooks are not sent to loopback, link-local or private addresses ({found}); set {AllowPrivateSetting} to allow them")
            : null;
    }

    /// <summary>The handler of the webhook HTTP client: it connects only to addresses this policy allows.</summary>
    public HttpMessageHandler Handler() => _allowPrivate
        ? new SocketsHttpHandler()
        : new SocketsHttpHandler { ConnectCallback = ConnectToPublicAsync };

    private static async ValueTask<Stream> ConnectToPublicAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = addresses.Where(a => !IsPrivate(a)).ToArray();
        if (allowed.Length == 0)
        {
            throw new HttpRequestException($"{host} is a loopback, link-local or private address: webhooks are not sent there ({AllowPrivateSetting})");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static bool IsPrivate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var first = address.GetAddressBytes()[0];
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || (first & 0xFE) == 0xFC;
        }

        var b = address.GetAddressBytes();
        return b[0] == 10 || b[0] == 0
            || (b[0] == 172 && b[1] is >= 16 and <= 31)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 169 && b[1] == 254)
            || (b[0] == 100 && b[1] is >= 64 and <= 127);
    }
}
