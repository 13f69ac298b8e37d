using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using AdoptionEvents.Hosting;
using Wolverine.Http;

namespace AdoptionEvents.Integration;

public static class EventLogEndpoints
{
    public const int MaxPage = 1000;

    /// <summary>
    /// The global log for consumers that poll: journey events after a position as CloudEvents, oldest
    /// first, and the position to ask for next. Only committed events are shown (up to the high-water mark).
    /// </summary>
    [WolverineGet("/api/events")]
    public static async Task<IResult> Read(GlobalLog log, long? after, int? limit, string? types, CancellationToken ct)
    {
        if (Check(after, limit, types) is { Count: > 0 } refusals)
        {
            return Problems.For(refusals);
        }

        return Results.Ok(await log.ReadAsync(after ?? 0, limit ?? 100, GlobalLog.SplitTypes(types), ct));
    }

    /// <summary>
    /// Server-Sent Events, one per journey event: <c>id</c> the global sequence, <c>event</c> the type,
    /// <c>data</c> the CloudEvent. Reconnecting with Last-Event-ID (or ?after=) resumes after that event.
    /// </summary>
    [WolverineGet("/api/events/stream")]
    public static IResult Stream(HttpContext http, GlobalLog log, EventSignal signal, IntegrationSettings settings, TimeProvider clock, long? after, string? types)
    {
        var lastEventId = http.Request.Headers["Last-Event-ID"].ToString();
        long? resume = after;
        if (!string.IsNullOrWhiteSpace(lastEventId))
        {
            if (!long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                return Problems.For(Refusal.BadInput("Last-Event-ID", "sequence", $"Last-Event-ID must be the id of an event received (a global sequence); got '{lastEventId}'"));
            }

            resume = parsed;
        }

        if (Check(resume, null, types) is { Count: > 0 } refusals)
        {
            return Problems.For(refusals);
        }

        return TypedResults.ServerSentEvents(ReadLiveAsync(log, signal, settings.Stream, clock, resume, GlobalLog.SplitTypes(types), http.RequestAborted));
    }

    private static async IAsyncEnumerable<SseItem<string>> ReadLiveAsync(GlobalLog log, EventSignal signal, LiveStreamSettings settings, TimeProvider clock, long? after,
        IReadOnlyList<string> types, [EnumeratorCancellation] CancellationToken ct)
    {
        // No position: from now on, like a radio.
        var position = after ?? await log.HighWaterMarkAsync(ct);
        var quietSince = clock.GetUtcNow();
        while (!ct.IsCancellationRequested)
        {
            var page = await log.ReadAsync(position, MaxPage, types, ct);
            foreach (var cloudEvent in page.Events)
            {
                yield return new SseItem<string>(CloudEvents.Serialize(cloudEvent), cloudEvent.Type) { EventId = cloudEvent.Sequence.ToString(CultureInfo.InvariantCulture) };
            }

            if (page.Events.Count > 0)
            {
                quietSince = clock.GetUtcNow();
            }
            else if (clock.GetUtcNow() - quietSince >= settings.KeepAlive)
            {
                quietSince = clock.GetUtcNow();
                yield return new SseItem<string>("", "keepalive");
            }

            if (page.Next == position || page.Next >= page.HighWaterMark)
            {
                await signal.WaitAsync(settings.PollInterval, clock, ct);
            }

            position = page.Next;
        }
    }

    private static List<Refusal> Check(long? after, int? limit, string? types)
    {
        var refusals = new List<Refusal>();
        if (after is < 0)
        {
            refusals.Add(Refusal.BadInput("after", "position", "after is a global sequence: 0 or more"));
        }

        if (limit is < 1 or > MaxPage)
        {
            refusals.Add(Refusal.BadInput("limit", "page-size", $"limit must be between 1 and {MaxPage}"));
        }

        refusals.AddRange(GlobalLog.CheckTypes(GlobalLog.SplitTypes(types)));
        return refusals;
    }
}
