using System.Security.Cryptography;
using AdoptionEvents.Hosting.Database;
using AdoptionEvents.Integration.Webhooks;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;

namespace AdoptionEvents.UnitTests.Integration;

public class WebhookSecretsTests
{
    private const string Secret = "a-shared-secret-of-sixteen-or-more";

    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] OldKey = RandomNumberGenerator.GetBytes(32);

    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    private static HostingEnvironment Environment(string name, string? root = null) => new() { EnvironmentName = name, ContentRootPath = root ?? Path.GetTempPath() };

    [Fact]
    public void A_sealed_secret_opens_to_itself_and_does_not_hold_it_in_plain_text()
    {
        var secrets = new WebhookSecrets(Key, []);
        var id = Guid.NewGuid();

        var stored = secrets.Seal(id, Secret);

        stored.ShouldStartWith("v1.");
        stored.ShouldNotContain(Secret);
        stored.ShouldNotContain(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Secret)));
        secrets.IsCurrent(stored).ShouldBeTrue();
        secrets.Open(id, stored).ShouldBe(Secret);
    }

    [Fact]
    public void The_same_secret_sealed_twice_is_stored_differently()
    {
        var secrets = new WebhookSecrets(Key, []);
        var id = Guid.NewGuid();

        secrets.Seal(id, Secret).ShouldNotBe(secrets.Seal(id, Secret));
    }

    [Fact]
    public void A_secret_sealed_for_one_subscription_does_not_open_for_another()
    {
        var secrets = new WebhookSecrets(Key, []);
        var stored = secrets.Seal(Guid.NewGuid(), Secret);

        Should.Throw<WebhookSecretException>(() => secrets.Open(Guid.NewGuid(), stored)).Message.ShouldContain("sealed for another subscription");
    }

    [Fact]
    public void A_sealed_secret_changed_by_one_character_does_not_open()
    {
        var secrets = new WebhookSecrets(Key, []);
        var id = Guid.NewGuid();
        var stored = secrets.Seal(id, Secret);
        var last = stored[^1] == 'A' ? 'B' : 'A';

        Should.Throw<WebhookSecretException>(() => secrets.Open(id, stored[..^1] + last));
    }

    [Theory]
    [InlineData("a-plain-secret-of-sixteen")]
    [InlineData("v2.0011aabb.AAAA")]
    [InlineData("v1.0011aabb")]
    public void A_value_that_is_not_a_sealed_secret_is_refused(string stored)
    {
        Should.Throw<WebhookSecretException>(() => new WebhookSecrets(Key, []).Open(Guid.NewGuid(), stored));
    }

    [Fact]
    public void After_a_rotation_a_secret_sealed_with_a_previous_key_still_opens_and_is_not_current()
    {
        var id = Guid.NewGuid();
        var stored = new WebhookSecrets(OldKey, []).Seal(id, Secret);
        var rotated = new WebhookSecrets(Key, [OldKey]);

        rotated.Open(id, stored).ShouldBe(Secret);
        rotated.IsCurrent(stored).ShouldBeFalse();
        rotated.IsCurrent(rotated.Seal(id, Secret)).ShouldBeTrue();
    }

    [Fact]
    public void A_secret_sealed_with_a_key_no_longer_configured_is_refused_naming_the_settings()
    {
        var id = Guid.NewGuid();
        var stored = new WebhookSecrets(OldKey, []).Seal(id, Secret);

        var refusal = Should.Throw<WebhookSecretException>(() => new WebhookSecrets(Key, []).Open(id, stored));

        refusal.Message.ShouldContain(WebhookSecrets.Setting);
        refusal.Message.ShouldContain(WebhookSecrets.PreviousSetting);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task Outside_Development_without_a_key_nothing_can_be_sealed_and_registration_is_refused_with_503(string environment)
    {
        var secrets = WebhookSecrets.Resolve(Configuration(), Environment(environment));

        secrets.CanSeal.ShouldBeFalse();
        Should.Throw<WebhookSecretException>(() => secrets.Seal(Guid.NewGuid(), Secret));
        // The endpoint refuses before it reads or writes anything (no session, log or target check is given to it).
        var result = await SubscriptionEndpoints.Create(
            new CreateSubscription("https://receiver.example.org/hook"), null!, null!, null!, secrets, TimeProvider.System, CancellationToken.None);
        var problem = result.ShouldBeOfType<ProblemHttpResult>().ProblemDetails;
        problem.Status.ShouldBe(503);
        problem.Extensions["field"].ShouldBe("secret");
        problem.Detail.ShouldNotBeNull().ShouldContain(WebhookSecrets.Setting);
    }

    [Fact]
    public void A_configured_key_seals_in_Production_and_one_that_is_not_32_bytes_is_refused()
    {
        WebhookSecrets.Resolve(Configuration((WebhookSecrets.Setting, Convert.ToBase64String(Key))), Environment(Environments.Production)).CanSeal.ShouldBeTrue();

        var refusal = Should.Throw<StartupConfigurationException>(() =>
            WebhookSecrets.Resolve(Configuration((WebhookSecrets.Setting, Convert.ToBase64String(new byte[16]))), Environment(Environments.Production)));
        refusal.Message.ShouldContain(WebhookSecrets.Setting);
        Should.Throw<StartupConfigurationException>(() =>
            WebhookSecrets.Resolve(Configuration((WebhookSecrets.Setting, "not base64 at all")), Environment(Environments.Production)));
    }

    [Fact]
    public void In_Development_without_a_key_one_is_generated_once_and_kept()
    {
        var root = Directory.CreateTempSubdirectory("webhook-secrets-").FullName;
        try
        {
            var id = Guid.NewGuid();
            var stored = WebhookSecrets.Resolve(Configuration(), Environment(Environments.Development, root)).Seal(id, Secret);

            File.Exists(Path.Combine(root, WebhookSecrets.KeyFile)).ShouldBeTrue();
            WebhookSecrets.Resolve(Configuration(), Environment(Environments.Development, root)).Open(id, stored).ShouldBe(Secret);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
