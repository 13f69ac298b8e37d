using JasperFx.Events;
using Marten.Events.Projections;

namespace AdoptionEvents.Journeys.SiteAdoption;

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

    public SiteState State { get; init; }

    /// <summary>A stable id per (innovation, site), so a rebuild writes the same documents.</summary>
    public static Guid IdFor(Guid innovationId, Guid siteId)
    {
        Span<byte> site = stackalloc byte[16];
        siteId.TryWriteBytes(site);
        return StableId.For(innovationId, site);
    }

    /// <summary>The status after one more event: the same transition rule <see cref="Journey.After"/> applies.</summary>
    public static SiteStatus? After(SiteStatus? status, SiteEvent e) =>
        SiteTransitions.Next(status?.State, e) is ({ } next, null)
            ? (status ?? new SiteStatus { Id = IdFor(e.InnovationId, e.SiteId), InnovationId = e.InnovationId, SiteId = e.SiteId }) with { State = next }
            : status;
}

/// <summary>Inline, so the next command on a site sees the state the last one left.</summary>
public sealed class SiteStatusProjection : MultiStreamProjection<SiteStatus, Guid>
{
    private static readonly Guid[] None = [];

    public SiteStatusProjection()
    {
        // Staff trained, adaptations, commissioning and the like never move a site's state: routed nowhere, so
        // recording one does not read and rewrite the site's status in the command's transaction.
        Identities<SiteEvent>(e => SiteTransitions.Rule(e).To is null ? None : [SiteStatus.IdFor(e.InnovationId, e.SiteId)]);
    }

    public override SiteStatus? Evolve(SiteStatus? snapshot, Guid id, IEvent e) =>
        e.Data is SiteEvent fact ? SiteStatus.After(snapshot, fact) : snapshot;
}
