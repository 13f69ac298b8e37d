using AdoptionEvents.Hosting;
using AdoptionEvents.Hosting.Security;
using Marten;
using Wolverine.Http;

namespace AdoptionEvents.Integration.Webhooks;

public sealed record DeliveryLog(Guid SubscriptionId, IReadOnlyList<WebhookDelivery> Deliveries);

public sealed record RedeliveryAccepted(Guid SubscriptionId, IReadOnlyList<Guid> DeliveryIds);

/// <summary>Webhook subscriptions: register, read, pause, resume, delete; the delivery log and redelivery of dead letters.</summary>
public static class SubscriptionEndpoints
{
    [WolverinePost("/api/subscriptions")]
    public static async Task<IResult> Create(CreateSubscription body, IDocumentSession session, GlobalLog log, WebhookTargets targets, WebhookSecrets secrets, TimeProvider clock, CancellationToken ct)
    {
        if (!secrets.CanSeal)
        {
            return Problems.For(new Refusal(503, "secret", "secrets-key",
                $"webhooks cannot be registered: {WebhookSecrets.Setting} is not configured, and a secret is never stored in plain text"));
        }

        var (kind, position, refusals) = WebhookRules.Check(body);
        if (refusals.Count == 0 && await targets.CheckAsync(body.Url, ct) is { } target)
        {
            refusals.Add(target);
        }

        if (refusals.Count > 0)
        {
            return Problems.For(refusals);
        }

        var now = clock.GetUtcNow();
        var startedAfter = kind switch
        {
            WebhookRules.StartKind.Beginning => 0,
            WebhookRules.StartKind.Position => position,
            _ => await log.HighWaterMarkAsync(ct),
        };
        var id = Guid.CreateVersion7(now);
        var secret = body.Secret ?? WebhookRules.NewSecret();
        var subscription = new WebhookSubscription
        {
            Id = id, Url = body.Url, Types = body.Types ?? [], SealedSecret = secrets.Seal(id, secret),
            Status = SubscriptionStatus.Active, StartedAfter = startedAfter, CreatedAt = now,
        };
        var cursor = new WebhookCursor { Id = subscription.Id, Position = startedAfter };
        session.Store(subscription);
        session.Store(cursor);
        await session.SaveChangesAsync(ct);
        var view = SubscriptionView.Of(subscription, cursor) with { Secret = body.Secret is null ? secret : null };
        return Results.Created($"/api/subscriptions/{subscription.Id}", view);
    }

    [WolverineGet("/api/subscriptions")]
    public static async Task<IReadOnlyList<SubscriptionView>> List(IQuerySession session, CancellationToken ct)
    {
        var subscriptions = await session.Query<WebhookSubscription>().OrderBy(s => s.CreatedAt).ToListAsync(ct);
        var cursors = (await session.LoadManyAsync<WebhookCursor>(ct, subscriptions.Select(s => s.Id))).ToDictionary(c => c.Id);
        return [.. subscriptions.Select(s => SubscriptionView.Of(s, cursors.GetValueOrDefault(s.Id)))];
    }

    [WolverineGet("/api/subscriptions/{id}")]
    public static async Task<IResult> Get(Guid id, IQuerySession session, CancellationToken ct) =>
        await session.LoadAsync<WebhookSubscription>(id, ct) is { } subscription
            ? Results.Ok(SubscriptionView.Of(subscription, await session.LoadAsync<WebhookCursor>(id, ct)))
            : Unknown(id);

    [WolverinePost("/api/subscriptions/{id}/pause")]
    public static Task<IResult> Pause(Guid id, IDocumentSession session, CancellationToken ct) => SetStatusAsync(id, SubscriptionStatus.Paused, session, ct);

    [WolverinePost("/api/subscriptions/{id}/resume")]
    public static Task<IResult> Resume(Guid id, IDocumentSession session, CancellationToken ct) => SetStatusAsync(id, SubscriptionStatus.Active, session, ct);

    /// <summary>Stops deliveries for good; the delivery log goes with the subscription.</summary>
    [WolverineDelete("/api/subscriptions/{id}")]
    public static async Task<IResult> Delete(Guid id, IDocumentSession session, CancellationToken ct)
    {
        if (await session.LoadAsync<WebhookSubscription>(id, ct) is null)
        {
            return Unknown(id);
        }

        session.Delete<WebhookSubscription>(id);
        session.Delete<WebhookCursor>(id);
        session.DeleteWhere<WebhookDelivery>(d => d.SubscriptionId == id);
        await session.SaveChangesAsync(ct);
        return Results.NoContent();
    }

    /// <summary>The delivery log, in event order; <c>status</c> filters (pending, delivered, dead_lettered).</summary>
    [WolverineGet("/api/subscriptions/{id}/deliveries")]
    public static async Task<IResult> Deliveries(Guid id, IQuerySession session, string? status, long? after, int? limit, CancellationToken ct)
    {
        if (await session.LoadAsync<WebhookSubscription>(id, ct) is null)
        {
            return Unknown(id);
        }

        DeliveryStatus? wanted = null;
        if (status is not null)
        {
            wanted = status switch
            {
                "pending" => DeliveryStatus.Pending,
                "delivered" => DeliveryStatus.Delivered,
                "dead_lettered" => DeliveryStatus.DeadLettered,
                _ => null,
            };
            if (wanted is null)
            {
                return Problems.For(Refusal.BadInput("status", "delivery-status", $"status is pending, delivered or dead_lettered; got '{status}'"));
            }
        }

        if (limit is < 1 or > EventLogEndpoints.MaxPage)
        {
            return Problems.For(Refusal.BadInput("limit", "page-size", $"limit must be between 1 and {EventLogEndpoints.MaxPage}"));
        }

        var from = after ?? 0;
        var query = session.Query<WebhookDelivery>().Where(d => d.SubscriptionId == id && d.Sequence > from);
        if (wanted is { } w)
        {
            query = query.Where(d => d.Status == w);
        }

        var deliveries = await query.OrderBy(d => d.Sequence).ThenBy(d => d.CreatedAt).Take(limit ?? 100).ToListAsync(ct);
        return Results.Ok(new DeliveryLog(id, deliveries));
    }

    /// <summary>Sends a dead-lettered delivery again (outside the subscription's order), with a fresh set of attempts.</summary>
    [WolverinePost("/api/subscriptions/{id}/deliveries/{deliveryId}/redeliver")]
    public static async Task<IResult> Redeliver(Guid id, Guid deliveryId, IDocumentSession session, CancellationToken ct)
    {
        if (await session.LoadAsync<WebhookSubscription>(id, ct) is null)
        {
            return Unknown(id);
        }

        if (await session.LoadAsync<WebhookDelivery>(deliveryId, ct) is not { } delivery || delivery.SubscriptionId != id)
        {
            return Problems.For(new Refusal(404, "deliveryId", "known-delivery", $"subscription {id} has no delivery {deliveryId}"));
        }

        if (delivery.Status != DeliveryStatus.DeadLettered)
        {
            return Problems.For(Refusal.Conflict("deliveryId", "dead-lettered",
                $"only a dead-lettered delivery is redelivered; {deliveryId} is {delivery.Status.ToString().ToLowerInvariant()}"));
        }

        session.Store(AskedAgain(delivery));
        await session.SaveChangesAsync(ct);
        return Results.Accepted($"/api/subscriptions/{id}/deliveries", new RedeliveryAccepted(id, [deliveryId]));
    }

    /// <summary>Sends every dead-lettered delivery of the subscription again.</summary>
    [WolverinePost("/api/subscriptions/{id}/deliveries/redeliver")]
    public static async Task<IResult> RedeliverAll(Guid id, IDocumentSession session, CancellationToken ct)
    {
        if (await session.LoadAsync<WebhookSubscription>(id, ct) is null)
        {
            return Unknown(id);
        }

        var dead = await session.Query<WebhookDelivery>().Where(d => d.SubscriptionId == id && d.Status == DeliveryStatus.DeadLettered).ToListAsync(ct);
        foreach (var delivery in dead)
        {
            session.Store(AskedAgain(delivery));
        }

        await session.SaveChangesAsync(ct);
        return Results.Accepted($"/api/subscriptions/{id}/deliveries", new RedeliveryAccepted(id, [.. dead.Select(d => d.Id)]));
    }

    private static WebhookDelivery AskedAgain(WebhookDelivery delivery) =>
        delivery with { Status = DeliveryStatus.Pending, Redelivery = true, Attempts = 0, NextAttemptAt = null };

    private static async Task<IResult> SetStatusAsync(Guid id, SubscriptionStatus status, IDocumentSession session, CancellationToken ct)
    {
        if (await session.LoadAsync<WebhookSubscription>(id, ct) is not { } subscription)
        {
            return Unknown(id);
        }

        var updated = subscription with { Status = status };
        session.Store(updated);
        await session.SaveChangesAsync(ct);
        return Results.Ok(SubscriptionView.Of(updated, await session.LoadAsync<WebhookCursor>(id, ct)));
    }

    private static IResult Unknown(Guid id) => Problems.For(new Refusal(404, "id", "known-subscription", $"there is no subscription {id}"));
}
