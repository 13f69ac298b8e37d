using AdoptionEvents.ReadModels.Building;
using Marten;
using Npgsql;

namespace AdoptionEvents.Integration.Webhooks;

/// <summary>
/// At start-up, seals under the current key every webhook secret that is not: those stored in plain text before secrets
/// were sealed, and those sealed with a key since rotated (it must still be among the previous keys to be opened). Each
/// subscription is changed with one conditional update of its secret fields alone, so a pause or resume stored meanwhile
/// is neither lost nor overwritten; a subscription changed since it was read is left for the next start-up.
/// </summary>
public sealed partial class WebhookSecretSealing(IDocumentStore store, WebhookSecrets secrets, ILogger<WebhookSecretSealing> logger) : BackgroundService
{
    /// <summary>Seals what needs it; returns how many subscriptions were sealed again.</summary>
    public async Task<int> SealAsync(CancellationToken ct)
    {
        if (!secrets.CanSeal)
        {
            return 0;
        }

        await using var session = store.QuerySession();
        var subscriptions = await session.Query<WebhookSubscription>().ToListAsync(ct);
        var stale = subscriptions.Where(s => s.Secret is not null || s.SealedSecret is { } sealedSecret && !secrets.IsCurrent(sealedSecret)).ToList();
        if (stale.Count == 0)
        {
            return 0;
        }

        var options = (StoreOptions)store.Options;
        await using var connection = (NpgsqlConnection)store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        var sealedAgain = 0;
        foreach (var subscription in stale)
        {
            string secret;
            try
            {
                secret = subscription.Secret ?? secrets.Open(subscription.Id, subscription.SealedSecret!);
            }
            catch (WebhookSecretException e)
            {
                LogCannotOpen(logger, subscription.Id, e.Message);
                continue;
            }

            await using var update = new NpgsqlCommand(
                $"update {options.DatabaseSchemaName}.{DocumentWriter.TableOf(typeof(WebhookSubscription))} " +
                "set data = (data - 'secret') || jsonb_build_object('sealedSecret', $2::text) " +
                "where id = $1 and data ->> 'secret' is not distinct from $3 and data ->> 'sealedSecret' is not distinct from $4", connection)
            {
                Parameters =
                {
                    new() { Value = subscription.Id },
                    new() { Value = secrets.Seal(subscription.Id, secret) },
                    new() { Value = (object?)subscription.Secret ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
                    new() { Value = (object?)subscription.SealedSecret ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
                },
            };
            sealedAgain += await update.ExecuteNonQueryAsync(ct);
        }

        if (sealedAgain > 0)
        {
            LogSealed(logger, sealedAgain);
        }

        return sealedAgain;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await SealAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // The database away at start-up: secrets keep working as stored (a plain one still signs); the next start-up seals them.
            LogFailed(logger, e);
        }
    }

    [LoggerMessage(LogLevel.Information, "Sealed the secrets of {Count} webhook subscriptions under the current key")]
    private static partial void LogSealed(ILogger logger, int count);

    [LoggerMessage(LogLevel.Error, "The secret of webhook subscription {SubscriptionId} cannot be opened, so it is not sealed again: {Reason}")]
    private static partial void LogCannotOpen(ILogger logger, Guid subscriptionId, string reason);

    [LoggerMessage(LogLevel.Warning, "Sealing webhook secrets at start-up failed; the next start-up tries again")]
    private static partial void LogFailed(ILogger logger, Exception e);
}
