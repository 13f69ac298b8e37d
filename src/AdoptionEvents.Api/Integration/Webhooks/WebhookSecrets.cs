using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using AdoptionEvents.Hosting.Database;
using AdoptionEvents.Hosting.Security;

namespace AdoptionEvents.Integration.Webhooks;

/// <summary>
/// Webhook signing secrets at rest. The dispatcher needs each secret itself (it signs every delivery with an HMAC keyed
/// with it), so it cannot be stored as a hash: it is sealed with AES-256-GCM under a key from configuration
/// (<see cref="Setting"/>), bound to its subscription's id (a sealed secret copied into another subscription does not
/// open), and stored as <c>v1.{key id}.{nonce, ciphertext and tag in base64url}</c>. The key id (the first 4 bytes of the
/// key's SHA-256, in hex) says which key sealed it, so keys can be rotated: the new key goes in <see cref="Setting"/>, the
/// old ones in <see cref="PreviousSetting"/>, and <see cref="WebhookSecretSealing"/> seals again under the new key at
/// start-up whatever an old key (or nothing, before secrets were sealed) left.
/// </summary>
public sealed class WebhookSecrets
{
    public const string Setting = "Integration:Webhooks:SecretsKey";
    public const string PreviousSetting = "Integration:Webhooks:PreviousSecretsKeys";
    public const string KeyFile = ".data/webhook-secrets-key";

    private const string Version = "v1";
    private const int NonceBytes = 12;
    private const int TagBytes = 16;

    private readonly (string Id, byte[] Key)? _current;
    private readonly Dictionary<string, byte[]> _keys;

    public WebhookSecrets(byte[]? current, IEnumerable<byte[]> previous)
    {
        _keys = [];
        foreach (var key in previous)
        {
            _keys[IdOf(key)] = key;
        }

        if (current is not null)
        {
            _current = (IdOf(current), current);
            _keys[IdOf(current)] = current;
        }
    }

    /// <summary>False when no key is configured (outside Development without <see cref="Setting"/>): new secrets cannot be stored.</summary>
    public bool CanSeal => _current is not null;

    public string Seal(Guid subscriptionId, string secret)
    {
        if (_current is not { } current)
        {
            throw new WebhookSecretException($"{Setting} is not configured: webhook secrets cannot be stored");
        }

        var plain = Encoding.UTF8.GetBytes(secret);
        var sealedBytes = new byte[NonceBytes + plain.Length + TagBytes];
        var nonce = sealedBytes.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(current.Key, TagBytes);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(NonceBytes, plain.Length), sealedBytes.AsSpan(NonceBytes + plain.Length), Associated(subscriptionId));
        return $"{Version}.{current.Id}.{Base64Url.EncodeToString(sealedBytes)}";
    }

    /// <summary>The secret a subscription's stored value seals; throws <see cref="WebhookSecretException"/> when it cannot be opened.</summary>
    public string Open(Guid subscriptionId, string stored)
    {
        var parts = stored.Split('.');
        if (parts.Length != 3 || parts[0] != Version)
        {
            throw new WebhookSecretException($"the secret of subscription {subscriptionId} is not a sealed secret of version {Version}");
        }

        if (!_keys.TryGetValue(parts[1], out var key))
        {
            throw new WebhookSecretException(
                $"the secret of subscription {subscriptionId} was sealed with key {parts[1]}, which is neither {Setting} nor among {PreviousSetting}");
        }

        byte[] sealedBytes;
        try
        {
            sealedBytes = Base64Url.DecodeFromChars(parts[2]);
        }
        catch (FormatException)
        {
            throw new WebhookSecretException($"the secret of subscription {subscriptionId} is not valid base64url");
        }

        if (sealedBytes.Length < NonceBytes + TagBytes)
        {
            throw new WebhookSecretException($"the secret of subscription {subscriptionId} is too short to be sealed");
        }

        var length = sealedBytes.Length - NonceBytes - TagBytes;
        var plain = new byte[length];
        try
        {
            using var aes = new AesGcm(key, TagBytes);
            aes.Decrypt(sealedBytes.AsSpan(0, NonceBytes), sealedBytes.AsSpan(NonceBytes, length), sealedBytes.AsSpan(NonceBytes + length), plain, Associated(subscriptionId));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new WebhookSecretException($"the secret of subscription {subscriptionId} does not open: it was changed, or sealed for another subscription");
        }

        return Encoding.UTF8.GetString(plain);
    }

    /// <summary>True when the stored value was sealed with the current key: nothing to seal again.</summary>
    public bool IsCurrent(string stored) => _current is { } current && stored.StartsWith($"{Version}.{current.Id}.", StringComparison.Ordinal);

    /// <summary>
    /// The keys this environment seals and opens with. Without <see cref="Setting"/>, in Development a key is generated
    /// into <see cref="KeyFile"/> (git-ignored) on first use; elsewhere none is, and webhook registration is refused.
    /// Throws <see cref="StartupConfigurationException"/> for a key that is not base64 of 32 bytes.
    /// </summary>
    public static WebhookSecrets Resolve(IConfiguration configuration, IHostEnvironment environment)
    {
        var previous = configuration.GetSection(PreviousSetting).GetChildren().Select(c => c.Value).OfType<string>()
            .Select(v => KeyOf(v, PreviousSetting)).ToList();
        if (configuration[Setting] is { Length: > 0 } configured)
        {
            return new WebhookSecrets(KeyOf(configured, Setting), previous);
        }

        // Generated for Development only: a node elsewhere (Staging, Production) would seal with a key no other node has.
        if (!environment.IsDevelopment())
        {
            return new WebhookSecrets(null, previous);
        }

        return new WebhookSecrets(KeyOf(DevelopmentTokens.DevelopmentKeyFile(environment, KeyFile), KeyFile), previous);
    }

    private static byte[] KeyOf(string text, string source)
    {
        var key = new byte[32];
        return Convert.TryFromBase64String(text.Trim(), key, out var written) && written == 32
            ? key
            : throw new StartupConfigurationException($"{source} must be base64 of exactly 32 bytes (e.g. openssl rand -base64 32)");
    }

    private static string IdOf(byte[] key) => Convert.ToHexStringLower(SHA256.HashData(key).AsSpan(0, 4));

    private static byte[] Associated(Guid subscriptionId) => subscriptionId.ToByteArray();
}

/// <summary>A webhook secret that cannot be sealed or opened with the keys configured.</summary>
public sealed class WebhookSecretException(string message) : Exception(message);
