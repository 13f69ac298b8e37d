using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Marten;

namespace AdoptionEvents.Hosting.Http;

/// <summary>The first answer to a request that carried an Idempotency-Key, kept to answer its retries.</summary>
public sealed record IdempotentResponse
{
    /// <summary>"{user}|{key}": keys are per caller.</summary>
    public required string Id { get; init; }

    public required string RequestHash { get; init; }

    public required int Status { get; init; }

    public required string Body { get; init; }

    public string? Location { get; init; }

    public required DateTimeOffset RecordedAt { get; init; }
}

/// <summary>
/// Idempotency-Key: a retried command returns the first result and appends nothing; the same key with
/// a different request is refused with 422. The stored answer commits with the events it describes.
/// </summary>
public static class Idempotency
{
    public const string Header = "Idempotency-Key";

    public static string? KeyOf(HttpContext http) =>
        http.Request.Headers.TryGetValue(Header, out var v) && !string.IsNullOrWhiteSpace(v) ? v.ToString() : null;

    public static string Hash(HttpContext http, object body, JsonSerializerOptions json)
    {
        var canonical = $"{http.Request.Method} {http.Request.Path}\n{http.Request.Headers.IfMatch}\n{JsonSerializer.Serialize(body, body.GetType(), json)}";
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    /// <summary>The stored answer to replay, a 422 for a reused key, or null to go ahead.</summary>
    public static async Task<IResult?> ReplayAsync(IQuerySession session, string id, string hash, CancellationToken ct) =>
        await session.LoadAsync<IdempotentResponse>(id, ct) is { } earlier ? Replay(earlier, hash) : null;

    /// <summary>The earlier answer again, or a 422 when the key came with a different request.</summary>
    public static IResult Replay(IdempotentResponse earlier, string hash) =>
        earlier.RequestHash == hash
            ? new StoredResult(earlier)
            : Problems.For(new Refusal(422, Header, "idempotency-key-reuse", "this Idempotency-Key was used for a different request; use a new key"));

    /// <summary>Stores the answer in the session, to commit with the events it describes.</summary>
    public static IdempotentResponse Remember(IDocumentSession session, string id, string hash, int status, object body, string? location, JsonSerializerOptions json, DateTimeOffset now)
    {
        var answer = new IdempotentResponse
        {
            Id = id, RequestHash = hash, Status = status, Body = JsonSerializer.Serialize(body, body.GetType(), json), Location = location, RecordedAt = now,
        };
        session.Insert(answer);
        return answer;
    }

    private sealed class StoredResult(IdempotentResponse stored) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = stored.Status;
            httpContext.Response.Headers["Idempotent-Replayed"] = "true";
            if (stored.Location is not null)
            {
                httpContext.Response.Headers.Location = stored.Location;
            }

            httpContext.Response.ContentType = "application/json";
            await httpContext.Response.WriteAsync(stored.Body);
        }
    }
}
