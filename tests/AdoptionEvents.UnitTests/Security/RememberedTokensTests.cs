using System.Text;
using AdoptionEvents.Hosting.Security;
using Microsoft.IdentityModel.Tokens;

namespace AdoptionEvents.UnitTests.Security;

public class RememberedTokensTests
{
    private static readonly DevelopmentTokens Tokens = new(new SymmetricSecurityKey(Encoding.UTF8.GetBytes("remembered-tokens-test-key-0123456789abcdef")), "adoption-events");
    private readonly SetClock _clock = new(DateTimeOffset.UtcNow);
    private int _checks;

    /// <summary>Validation as the host configures it, with the lifetime judged by the test's clock and every full check counted.</summary>
    private TokenValidationParameters Parameters() => new()
    {
        ValidIssuer = DevelopmentTokens.Issuer,
        ValidAudience = Tokens.Audience,
        IssuerSigningKey = Tokens.Key,
        NameClaimType = Roles.NameClaim,
        RoleClaimType = Roles.RoleClaim,
        LifetimeValidator = (_, expires, _, _) =>
        {
            _checks++;
            return expires is { } e && _clock.GetUtcNow().UtcDateTime < e;
        },
    };

    private string Mint(TimeSpan lifetime, SecurityKey? signWith = null) =>
        Tokens.Mint("ada", [Roles.SiteRecorder], [], _clock.GetUtcNow(), lifetime, signWith);

    [Fact]
    public async Task A_token_accepted_once_is_accepted_again_without_a_second_check_and_with_its_own_claims()
    {
        var handler = new RememberedTokens(_clock);
        var token = Mint(TimeSpan.FromHours(1));

        var first = await handler.ValidateTokenAsync(token, Parameters());
        var second = await handler.ValidateTokenAsync(token, Parameters());

        first.IsValid.ShouldBeTrue();
        second.IsValid.ShouldBeTrue();
        _checks.ShouldBe(1);
        second.ClaimsIdentity.ShouldNotBeSameAs(first.ClaimsIdentity);
        second.ClaimsIdentity.Name.ShouldBe("ada");
        second.ClaimsIdentity.FindAll(Roles.RoleClaim).Select(c => c.Value).ShouldBe([Roles.SiteRecorder]);
        second.SecurityToken.ShouldBeSameAs(first.SecurityToken);
    }

    [Fact]
    public async Task A_remembered_token_is_checked_again_once_the_remembered_time_has_passed()
    {
        var handler = new RememberedTokens(_clock);
        var token = Mint(TimeSpan.FromHours(1));
        (await handler.ValidateTokenAsync(token, Parameters())).IsValid.ShouldBeTrue();

        _clock.Now += RememberedTokens.Remembered - TimeSpan.FromSeconds(1);
        (await handler.ValidateTokenAsync(token, Parameters())).IsValid.ShouldBeTrue();
        _checks.ShouldBe(1);

        _clock.Now += TimeSpan.FromSeconds(2);
        (await handler.ValidateTokenAsync(token, Parameters())).IsValid.ShouldBeTrue();
        _checks.ShouldBe(2);
    }

    [Fact]
    public async Task A_remembered_token_is_refused_once_it_expires()
    {
        var handler = new RememberedTokens(_clock);
        var token = Mint(TimeSpan.FromMinutes(2));
        (await handler.ValidateTokenAsync(token, Parameters())).IsValid.ShouldBeTrue();

        _clock.Now += TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1);
        var expired = await handler.ValidateTokenAsync(token, Parameters());

        expired.IsValid.ShouldBeFalse();
        _checks.ShouldBe(2);
    }

    [Fact]
    public async Task A_refused_token_is_never_remembered()
    {
        var handler = new RememberedTokens(_clock);
        var forged = Mint(TimeSpan.FromHours(1), new SymmetricSecurityKey(Encoding.UTF8.GetBytes("another-key-entirely-0123456789abcdefghijkl")));

        (await handler.ValidateTokenAsync(forged, Parameters())).IsValid.ShouldBeFalse();
        var again = await handler.ValidateTokenAsync(forged, Parameters());

        again.IsValid.ShouldBeFalse();
        again.Exception.ShouldBeAssignableTo<SecurityTokenInvalidSignatureException>();
    }

    [Fact]
    public async Task A_token_changed_by_one_character_is_not_taken_for_a_remembered_one()
    {
        var handler = new RememberedTokens(_clock);
        var token = Mint(TimeSpan.FromHours(1));
        (await handler.ValidateTokenAsync(token, Parameters())).IsValid.ShouldBeTrue();

        var changed = token[..^2] + (token[^2] == 'A' ? 'B' : 'A') + token[^1];

        (await handler.ValidateTokenAsync(changed, Parameters())).IsValid.ShouldBeFalse();
    }

    [Fact]
    public async Task Past_its_capacity_the_memory_starts_again_and_still_accepts_every_valid_token()
    {
        var handler = new RememberedTokens(_clock);
        var tokens = Enumerable.Range(0, RememberedTokens.Capacity + 5)
            .Select(i => Tokens.Mint($"user-{i}", [Roles.Reader], [], _clock.GetUtcNow(), TimeSpan.FromHours(1)))
            .ToList();

        foreach (var token in tokens)
        {
            (await handler.ValidateTokenAsync(token, Parameters())).IsValid.ShouldBeTrue();
        }

        (await handler.ValidateTokenAsync(tokens[0], Parameters())).IsValid.ShouldBeTrue();
        (await handler.ValidateTokenAsync(tokens[^1], Parameters())).IsValid.ShouldBeTrue();
        _checks.ShouldBe(RememberedTokens.Capacity + 5 + 1);
    }

    private sealed class SetClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
