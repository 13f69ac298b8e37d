using AdoptionEvents.Hosting;
using JasperFx.Events;
using Marten;
using Wolverine.Http;

namespace AdoptionEvents.Journeys.Audit;

public sealed record BrokenLink(Guid InnovationId, Guid EventId, long Version, long Sequence, string Type, string Problem);

public sealed record VerificationReport(int JourneysChecked, long EventsChecked, bool Intact, BrokenLink? FirstBroken, IReadOnlyList<BrokenLink> Broken);

/// <summary>Recomputes each journey's hash chain and reports the first event where it breaks.</summary>
public static class Verification
{
    public static BrokenLink? FirstBreak(IReadOnlyList<IEvent> stream)
    {
        string? previous = null;
        long expectedVersion = 1;
        foreach (var e in stream)
        {
            if (e.Data is not JourneyEvent)
            {
                return Broken(e, "the data cannot be read as a journey event");
            }

            if (e.Version != expectedVersion)
            {
                return Broken(e, $"version {e.Version} follows {expectedVersion - 1}: an event is missing");
            }

            var stored = TamperSeal.HashOf(e);
            if (stored is null)
            {
                return Broken(e, "the event has no hash");
            }

            if (TamperSeal.Compute(previous, e) != stored)
            {
                return Broken(e, "the hash does not match the event's type, data, metadata or the previous hash");
            }

            previous = stored;
            expectedVersion++;
        }

        return null;
    }

    public static async Task<VerificationReport> VerifyAsync(IQuerySession session, IReadOnlyList<Guid> innovations, CancellationToken ct)
    {
        var broken = new List<BrokenLink>();
        long events = 0;
        foreach (var id in innovations)
        {
            IReadOnlyList<IEvent> stream;
            try
            {
                stream = await session.Events.FetchStreamAsync(id, token: ct);
            }
            catch (Marten.Exceptions.EventDeserializationFailureException e)
            {
                broken.Add(new BrokenLink(id, Guid.Empty, 0, e.Sequence, e.EventTypeName ?? "", $"an event cannot be read: {e.InnerException?.Message ?? e.Message}"));
                continue;
            }

            events += stream.Count;
            if (FirstBreak(stream) is { } link)
            {
                broken.Add(link);
            }
        }

        var ordered = broken.OrderBy(b => b.Sequence).ToList();
        return new VerificationReport(innovations.Count, events, ordered.Count == 0, ordered.FirstOrDefault(), ordered);
    }

    public static async Task<IReadOnlyList<Guid>> JourneysAsync(IQuerySession session, CancellationToken ct) =>
        await session.Query<Journey>().OrderBy(j => j.Id).Select(j => j.Id).ToListAsync(ct);

    private static BrokenLink Broken(IEvent e, string problem) => new(e.StreamId, e.Id, e.Version, e.Sequence, e.EventTypeName, problem);
}

public static class VerificationEndpoints
{
    /// <summary>Checks one journey's hash chain: intact, or the first broken link.</summary>
    [WolverineGet("/api/innovations/{innovationId}/verification")]
    public static async Task<IResult> One(Guid innovationId, IQuerySession session, CancellationToken ct) =>
        await session.Events.FetchStreamStateAsync(innovationId, ct) is null
            ? Problems.For(new Refusal(404, "innovationId", "known-innovation", $"there is no innovation {innovationId}"))
            : Results.Ok(await Verification.VerifyAsync(session, [innovationId], ct));

    /// <summary>Checks every journey.</summary>
    [WolverineGet("/api/verification")]
    public static async Task<VerificationReport> All(IQuerySession session, CancellationToken ct) =>
        await Verification.VerifyAsync(session, await Verification.JourneysAsync(session, ct), ct);
}
