using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace AdoptionEvents.Integration.Webhooks;

public enum SubscriptionStatus
{
    Active,
    Paused,
}

/// <summary>An integrating service's webhook: where to send, which events, the signing secret (sealed). Written by the API only.</summary>
public sealed record WebhookSubscription
{
    public Guid Id { get; init; }

    public required string Url { get; init; }

    /// <summary>Event types or family patterns ("site_adoption.*"); empty means every journey event.</summary>
    public IReadOnlyList<string> Types { get; init; } = [];

    /// <summary>The signing secret, sealed with the configured key (<see cref="WebhookSecrets"/>): never stored in plain text.</summary>
    public string? SealedSecret { get; init; }

    /// <summary>
    /// A secret stored in plain text before secrets were sealed (empty since): it still signs, and
    /// <see cref="WebhookSecretSealing"/> seals it, and clears this, at the next start-up that has a key.
    /// </summary>
    public string? Secret { get; init; }

    public SubscriptionStatus Status { get; init; }

    /// <summary>The global position the subscription started after.</summary>
    public long StartedAfter { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>
/// Where the dispatcher stands for one subscription. Written by the dispatcher only (so a pause from the
/// API never races with it): every event up to <see cref="Position"/> was delivered, dead-lettered or
/// filtered out; <see cref="PendingDeliveryId"/> is the event being retried, which blocks the ones after it.
/// </summary>
public sealed record WebhookCursor
{
    public Guid Id { get; init; }

    public long Position { get; init; }

    public Guid? PendingDeliveryId { get; init; }
}

public enum DeliveryStatus
{
    /// <summary>Not delivered yet; attempted again at NextAttemptAt.</summary>
    Pending,
    Delivered,

    /// <summary>Every attempt failed; the subscription moved on. Redeliver it once the receiver is fixed.</summary>
    DeadLettered,
}

public sealed record DeliveryAttempt(DateTimeOffset At, int? StatusCode, string? Error, double Milliseconds);

/// <summary>One event sent (or being sent) to one subscription, with every attempt.</summary>
public sealed record WebhookDelivery
{
    public Guid Id { get; init; }

    public Guid SubscriptionId { get; init; }

    public Guid EventId { get; init; }

    public long Sequence { get; init; }

    public required string Type { get; init; }

    public DeliveryStatus Status { get; init; }

    /// <summary>Attempts since the delivery was created or a redelivery was asked for.</summary>
    public int Attempts { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? NextAttemptAt { get; init; }

    public DateTimeOffset? DeliveredAt { get; init; }

    /// <summary>Asked for again after it was dead-lettered: sent outside the subscription's order.</summary>
    public bool Redelivery { get; init; }

    public IReadOnlyList<DeliveryAttempt> Log { get; init; } = [];
}

/// <summary>A subscription as the API shows it: the secret stays inside, except once, when the service generated it.</summary>
public sealed record SubscriptionView(
    Guid Id, string Url, IReadOnlyList<string> Types, SubscriptionStatus Status, long StartedAfter, long? Position, Guid? PendingDeliveryId, DateTimeOffset CreatedAt, string? Secret = null)
{
    public static SubscriptionView Of(WebhookSubscription s, WebhookCursor? cursor) =>
        new(s.Id, s.Url, s.Types, s.Status, s.StartedAfter, cursor?.Position, cursor?.PendingDeliveryId, s.CreatedAt);
}

/// <summary>The body of POST /api/subscriptions. <c>start</c>: "now" (default), "beginning", or a global position (number or string).</summary>
public sealed record CreateSubscription(string Url, IReadOnlyList<string>? Types = null, string? Secret = null, JsonElement? Start = null);

/// <summary>Pure rules of subscriptions and deliveries.</summary>
public static class WebhookRules
{
    public const int MinSecretLength = 16;

    public enum StartKind
    {
        Now,
        Beginning,
        Position,
    }

    public static (StartKind Kind, long Position, List<Refusal> Refusals) Check(CreateSubscription command)
    {
        var refusals = new List<Refusal>();
        if (!Uri.TryCreate(command.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            refusals.Add(Refusal.BadInput("url", "absolute-http-url", $"url must be an absolute http or https address; got '{command.Url}'"));
        }

        refusals.AddRange(GlobalLog.CheckTypes(command.Types ?? []));
        if (command.Secret is { } secret && secret.Length < MinSecretLength)
        {
            refusals.Add(Refusal.BadInput("secret", "secret-length", $"a secret must have {MinSecretLength} characters or more (or leave it out and one is generated)"));
        }

        var (kind, position) = (StartKind.Now, 0L);
        if (command.Start is { } start && start.ValueKind != JsonValueKind.Null)
        {
            var text = start.ValueKind == JsonValueKind.Number ? start.GetRawText() : start.ValueKind == JsonValueKind.String ? start.GetString() : null;
            switch (text)
            {
                case "now":
                    break;
                case "beginning":
                    kind = StartKind.Beginning;
                    break;
                case not null when long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var p):
                    (kind, position) = (StartKind.Position, p);
                    break;
                default:
                    refusals.Add(Refusal.BadInput("start", "start", $"start is \"now\", \"beginning\" or a global position (0 or more); got {start.GetRawText()}"));
                    break;
            }
        }

        return (kind, position, refusals);
    }

    /// <summary>Wait before the next attempt after <paramref name="failedAttempts"/> failures: initial × 2^(n-1), capped.</summary>
    public static TimeSpan Backoff(int failedAttempts, TimeSpan initial, TimeSpan max)
    {
        var factor = Math.Pow(2, Math.Clamp(failedAttempts - 1, 0, 30));
        var wait = TimeSpan.FromTicks((long)Math.Min(initial.Ticks * factor, max.Ticks));
        return wait < TimeSpan.Zero ? max : wait;
    }

    /// <summary>The delivery after one more failed attempt: retried later, or dead-lettered when attempts run out.</summary>
    public static WebhookDelivery AfterFailure(WebhookDelivery delivery, DeliveryAttempt attempt, WebhookSettings settings) =>
        delivery.Attempts + 1 >= settings.MaxAttempts
            ? delivery with { Attempts = delivery.Attempts + 1, Status = DeliveryStatus.DeadLettered, NextAttemptAt = null, Log = [.. delivery.Log, attempt] }
            : delivery with
            {
                Attempts = delivery.Attempts + 1,
                NextAttemptAt = attempt.At + Backoff(delivery.Attempts + 1, settings.InitialBackoff, settings.MaxBackoff),
                Log = [.. delivery.Log, attempt],
            };

    public static WebhookDelivery AfterSuccess(WebhookDelivery delivery, DeliveryAttempt attempt) =>
        delivery with { Attempts = delivery.Attempts + 1, Status = DeliveryStatus.Delivered, DeliveredAt = attempt.At, NextAttemptAt = null, Log = [.. delivery.Log, attempt] };

    public static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>The X-AdoptionEvents-Signature value: t=unix seconds, v1=hex HMAC-SHA256 of "{t}.{body}" keyed with the secret.</summary>
    public static string Sign(string secret, DateTimeOffset at, string body)
    {
        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{body}"));
        return $"t={t},v1={Convert.ToHexStringLower(mac)}";
    }
}
