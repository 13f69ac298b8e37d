using System.Security.Cryptography;
using System.Text;
using AdoptionEvents.Hosting.Database;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AdoptionEvents.Hosting.Security;

/// <summary>
/// Tokens signed with a symmetric key, for the embedded run and the tests only. The key comes from
/// Authentication:DevelopmentSigningKey; in Development without an identity provider one is generated
/// into .data (git-ignored). In Production the setting is refused, so this cannot be switched on there.
/// </summary>
public sealed class DevelopmentTokens(SymmetricSecurityKey key, string audience)
{
    public const string Setting = "Authentication:DevelopmentSigningKey";
    public const string Issuer = "adoption-events-development";
    public const string KeyFile = ".data/development-signing-key";

    public SymmetricSecurityKey Key => key;

    public string Audience => audience;

    public string Mint(string name, IEnumerable<string> roles, IEnumerable<Guid> organisations, DateTimeOffset now, TimeSpan lifetime, SecurityKey? signWith = null)
    {
        // A token that expired already is wanted by tests: its validity window is moved back whole.
        var notBefore = lifetime > TimeSpan.Zero ? now : now + lifetime - TimeSpan.FromHours(1);
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            IssuedAt = notBefore.UtcDateTime,
            NotBefore = notBefore.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            Claims = new Dictionary<string, object>
            {
                [Roles.SubjectClaim] = name,
                [Roles.NameClaim] = name,
                [Roles.RoleClaim] = roles.ToArray(),
                [Roles.OrganisationClaim] = organisations.Select(o => o.ToString()).ToArray(),
            },
            SigningCredentials = new SigningCredentials(signWith ?? key, SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    /// <summary>
    /// The development tokens this environment accepts, or null when it accepts none.
    /// Throws <see cref="StartupConfigurationException"/> when a key is configured in Production.
    /// </summary>
    public static DevelopmentTokens? Resolve(IConfiguration configuration, IHostEnvironment environment)
    {
        var configured = configuration[Setting];
        var audience = AudienceOf(configuration);
        if (environment.IsProduction())
        {
            return string.IsNullOrEmpty(configured)
                ? null
                : throw new StartupConfigurationException(
                    $"{Setting} is set but the environment is Production: development tokens are refused there. Remove the setting and configure Authentication:Authority (an OpenID Connect provider).");
        }

        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new DevelopmentTokens(KeyOf(configured), audience);
        }

        if (!environment.IsDevelopment() || !string.IsNullOrWhiteSpace(configuration["Authentication:Authority"]))
        {
            return null;
        }

        return new DevelopmentTokens(KeyOf(DevelopmentKeyFile(environment, KeyFile)), audience);
    }

    /// <summary>
    /// A key of 32 random bytes (base64) kept in <paramref name="relativePath"/> under the content root, made on first use:
    /// Development's stand-in for a key from configuration (the folder, .data, is git-ignored).
    /// </summary>
    public static string DevelopmentKeyFile(IHostEnvironment environment, string relativePath)
    {
        var file = Path.Combine(environment.ContentRootPath, relativePath);
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        }

        return File.ReadAllText(file).Trim();
    }

    public static string AudienceOf(IConfiguration configuration) =>
        configuration["Authentication:Audience"] is { Length: > 0 } a ? a : "adoption-events";

    /// <summary>Base64 of at least 32 bytes, else the text itself (which must be 32 bytes or more for HS256).</summary>
    private static SymmetricSecurityKey KeyOf(string value)
    {
        var bytes = TryBase64(value) is { Length: >= 32 } decoded ? decoded : Encoding.UTF8.GetBytes(value);
        return bytes.Length >= 32
            ? new SymmetricSecurityKey(bytes)
            : throw new StartupConfigurationException($"{Setting} must be at least 32 bytes (or base64 of 32 bytes or more).");
    }

    private static byte[]? TryBase64(string value)
    {
        var buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out var written) ? buffer[..written] : null;
    }
}
