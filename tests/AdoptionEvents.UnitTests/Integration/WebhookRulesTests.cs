using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AdoptionEvents.Integration;
using AdoptionEvents.Integration.Webhooks;

namespace AdoptionEvents.UnitTests.Integration;

public class WebhookRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static readonly WebhookSettings Settings = new()
    {
        MaxAttempts = 3, InitialBackoff = TimeSpan.FromSeconds(2), MaxBackoff = TimeSpan.FromSeconds(5),
    };

    private static WebhookDelivery Delivery() => new() { Id = Guid.NewGuid(), SubscriptionId = Guid.NewGuid(), EventId = Guid.NewGuid(), Sequence = 7, Type = "service_went_live" };

    private static DeliveryAttempt Attempt(int? status) => new(Now, status, status is null ? "refused" : null, 3);

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(3, 5)]
    [InlineData(40, 5)]
    public void Backoff_doubles_from_the_first_wait_up_to_the_cap(int failures, int seconds) =>
        WebhookRules.Backoff(failures, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5)).ShouldBe(TimeSpan.FromSeconds(seconds));

    [Fact]
    public void A_failed_attempt_is_retried_after_the_backoff_until_the_attempts_run_out_then_dead_lettered()
    {
        var first = WebhookRules.AfterFailure(Delivery(), Attempt(500), Settings);
        (first.Status, first.Attempts, first.NextAttemptAt).ShouldBe((DeliveryStatus.Pending, 1, Now.AddSeconds(2)));
        var second = WebhookRules.AfterFailure(first, Attempt(null), Settings);
        (second.Status, second.NextAttemptAt).ShouldBe((DeliveryStatus.Pending, Now.AddSeconds(4)));
        var third = WebhookRules.AfterFailure(second, Attempt(503), Settings);
        (third.Status, third.Attempts, third.NextAttemptAt).ShouldBe((DeliveryStatus.DeadLettered, 3, (DateTimeOffset?)null));
        third.Log.Select(a => a.StatusCode).ShouldBe([500, null, 503]);
    }

    [Fact]
    public void A_successful_attempt_marks_the_delivery_delivered()
    {
        var delivered = WebhookRules.AfterSuccess(WebhookRules.AfterFailure(Delivery(), Attempt(500), Settings), Attempt(204));
        (delivered.Status, delivered.Attempts, delivered.DeliveredAt, delivered.NextAttemptAt).ShouldBe((DeliveryStatus.Delivered, 2, (DateTimeOffset?)Now, (DateTimeOffset?)null));
    }

    [Fact]
    public void The_signature_is_an_HMAC_SHA256_of_the_timestamp_and_body_keyed_with_the_secret()
    {
        var signature = WebhookRules.Sign("secret-secret-secret", Now, """{"id":"x"}""");
        var t = Now.ToUnixTimeSeconds();
        var mac = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("secret-secret-secret"), Encoding.UTF8.GetBytes($"{t}.{{\"id\":\"x\"}}")));
        signature.ShouldBe($"t={t},v1={mac}");
    }

    [Theory]
    [InlineData(null, WebhookRules.StartKind.Now, 0)]
    [InlineData("\"now\"", WebhookRules.StartKind.Now, 0)]
    [InlineData("\"beginning\"", WebhookRules.StartKind.Beginning, 0)]
    [InlineData("42", WebhookRules.StartKind.Position, 42)]
    [InlineData("\"42\"", WebhookRules.StartKind.Position, 42)]
    public void Start_is_now_the_beginning_or_a_position(string? start, WebhookRules.StartKind kind, long position)
    {
        var command = new CreateSubscription("https://example.org/hook", Start: start is null ? null : JsonDocument.Parse(start).RootElement);
        var (k, p, refusals) = WebhookRules.Check(command);
        refusals.ShouldBeEmpty();
        (k, p).ShouldBe((kind, position));
    }

    [Fact]
    public void Types_are_event_names_or_family_patterns()
    {
        WebhookRules.Check(new CreateSubscription("https://example.org/hook", ["service_went_live", "barriers.*"])).Refusals.ShouldBeEmpty();
        WebhookRules.Check(new CreateSubscription("https://example.org/hook", ["nope.*", "went_live"])).Refusals.Select(r => r.Rule).ShouldBe(["known-event-type", "known-event-type"]);
    }

    [Fact]
    public void A_CloudEvent_matches_its_type_its_family_pattern_or_an_empty_filter()
    {
        var e = new CloudEvent("1.0", Guid.NewGuid(), "urn:x", "service_went_live", "s", Now, "application/json", default, 1, 1, "site_adoption", null);
        e.Matches([]).ShouldBeTrue();
        e.Matches(["service_went_live"]).ShouldBeTrue();
        e.Matches(["site_adoption.*"]).ShouldBeTrue();
        e.Matches(["origin.*", "adoption_decided"]).ShouldBeFalse();
        e.RoutingKey.ShouldBe("site_adoption.service_went_live");
    }
}
