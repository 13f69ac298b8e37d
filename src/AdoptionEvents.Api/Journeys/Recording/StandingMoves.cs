using AdoptionEvents.Journeys.SiteAdoption;
using Marten;
using Npgsql;

namespace AdoptionEvents.Journeys.Recording;

/// <summary>
/// The changes of one site's state that stand, read from the stored events when a command retracts one: its events
/// that move a state (aware ... discontinued), in order, without those already retracted. The site's status document
/// keeps only the state; these are read for the rare retraction, so that no site command pays for them.
/// </summary>
public static class StandingMoves
{
    private static readonly string[] MovingTypes = [.. EventCatalogue.Entries.Where(e => e.Type.IsAssignableTo(typeof(SiteEvent)) && SiteTransitions.MovesState(e.Type)).Select(e => e.Name)];

    public static async Task<IReadOnlyList<SiteMove>> OfAsync(IQuerySession session, Guid innovationId, Guid siteId, CancellationToken ct)
    {
        var schema = session.DocumentStore.Options.Events.DatabaseSchemaName;
        await using var command = new NpgsqlCommand(
            $"select e.id, e.type, e.data from {schema}.mt_events e where e.stream_id = $1 and e.type = any($2) and e.data ->> 'siteId' = $3 " +
            $"and not exists (select 1 from {schema}.mt_events r where r.stream_id = $1 and r.type = $4 and r.data ->> 'retractedEventId' = e.id::text) " +
            "order by e.version")
        {
            Parameters =
            {
                new() { Value = innovationId }, new() { Value = MovingTypes }, new() { Value = siteId.ToString() },
                new() { Value = EventCatalogue.NameOf(typeof(Corrections.EventRetracted)) },
            },
        };
        var serializer = session.DocumentStore.Options.Serializer();
        var moves = new List<SiteMove>();
        await using var reader = await session.ExecuteReaderAsync(command, ct);
        while (await reader.ReadAsync(ct))
        {
            var fact = (SiteEvent)serializer.FromJson(EventCatalogue.Find(reader.GetString(1))!.Type, reader, 2);
            moves.Add(new SiteMove(reader.GetGuid(0), SiteTransitions.Rule(fact).To!.Value));
        }

        return moves;
    }
}
