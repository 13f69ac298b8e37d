using System.Text.Json.Serialization;
using AdoptionEvents.Journeys.Corrections;
using JasperFx.Events;
using Marten.Events.Projections;

namespace AdoptionEvents.Journeys.SiteAdoption;

/// <summary>One change of a site's state that still stands: the event that made it and the state it led to.</summary>
public sealed record SiteMove(Guid EventId, SiteState State);

/// <summary>
/// Where one site stands on one journey, as decisions need it. Kept as a document per site rather than
/// inside <see cref="Journey"/>, so recording a fact about one site reads and writes that site only,
/// whether the journey has ten sites or ten thousand.
/// </summary>
public sealed record SiteStatus
{
    public Guid Id { get; init; }

    public Guid InnovationId { get; init; }

    public Guid SiteId { get; init; }

    /// <summary>Null once a retraction has taken back the site's only change of state: not yet known on the journey.</summary>
    public SiteState? State { get; init; }

    /// <summary>
    /// Every change of the site's state that stands, oldest first: a retraction may take back only the last one, and
    /// the site returns to the state of the one before it. Never stored: a fold in memory keeps them as it goes, and a
    /// command that retracts a change reads them from the stored events (<see cref="Recording.StandingMoves"/>).
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<SiteMove> Moves { get; init; } = [];

    /// <summary>A stable id per (innovation, site), so a rebuild writes the same documents.</summary>
    public static Guid IdFor(Guid innovationId, Guid siteId)
    {
        Span<byte> site = stackalloc byte[16];
        siteId.TryWriteBytes(site);
        return StableId.For(innovationId, site);
    }

    /// <summary>
    /// The site whose state the fact changes or takes back: a site milestone that moves a state (not staff trained,
    /// adaptations and the like), or the retraction of one. Null for every other fact.
    /// </summary>
    public static Guid? SiteMovedBy(JourneyEvent fact) => fact switch
    {
        SiteEvent s when SiteTransitions.MovesState(s) => s.SiteId,
        EventRetracted { SiteChange: { } change } => change.SiteId,
        _ => null,
    };

    /// <summary>
    /// The status after one more event (its id is the event's): the same transition rule <see cref="Journey.After"/> applies. The
    /// changes that stand are kept only for a fold that decides (<paramref name="keepMoves"/>): the stored document never holds them.
    /// </summary>
    public static SiteStatus? After(SiteStatus? status, Guid eventId, JourneyEvent fact, bool keepMoves = true)
    {
        switch (fact)
        {
            case SiteEvent e when SiteTransitions.MovesState(e) && SiteTransitions.Next(status?.State, e) is ({ } next, null):
                var s = status ?? new SiteStatus { Id = IdFor(e.InnovationId, e.SiteId), InnovationId = e.InnovationId, SiteId = e.SiteId };
                return s with { State = next, Moves = keepMoves ? [.. s.Moves, new SiteMove(eventId, next)] : s.Moves };
            // The retraction says where the site goes back to; a status in another state (one never moved by the retracted event) stays.
            case EventRetracted { SiteChange: { } change } r when status is not null && status.State == change.From:
                return status with
                {
                    State = change.To,
                    Moves = status.Moves is [.., var last] && last.EventId == r.RetractedEventId ? status.Moves.Take(status.Moves.Count - 1).ToArray() : status.Moves,
                };
            default:
                return status;
        }
    }
}

/// <summary>Inline, so the next command on a site sees the state the last one left.</summary>
public sealed class SiteStatusProjection : MultiStreamProjection<SiteStatus, Guid>
{
    private static readonly Guid[] None = [];

    public SiteStatusProjection()
    {
        // Staff trained, adaptations, commissioning and the like never move a site's state: routed nowhere, so
        // recording one does not read and rewrite the site's status in the command's transaction.
        Identities<JourneyEvent>(e => SiteStatus.SiteMovedBy(e) is { } site ? [SiteStatus.IdFor(e.InnovationId, site)] : None);
    }

    public override SiteStatus? Evolve(SiteStatus? snapshot, Guid id, IEvent e) =>
        e.Data is JourneyEvent fact ? SiteStatus.After(snapshot, e.Id, fact, keepMoves: false) : snapshot;
}
