using System.Security.Claims;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.Journeys.SiteAdoption;

namespace AdoptionEvents.Hosting.Security;

/// <summary>
/// Which facts a caller may record, beyond the endpoint's policy: administrators any; programme leads any, on the
/// innovations their network supports (<see cref="CheckSupport"/>); a site recorder only site events whose sites (and,
/// for knowledge shared, the receiving site) are among the organisations of its token, and corrections and retractions of
/// such events (<see cref="CheckTarget"/>).
/// </summary>
public static class RecordingRights
{
    /// <summary>Whether the caller records only for innovations its network supports: a programme lead that is not also an administrator.</summary>
    public static bool NeedsSupport(ClaimsPrincipal user) => user.IsInRole(Roles.ProgrammeLead) && !user.IsInRole(Roles.Admin);

    /// <summary>
    /// A programme lead records for a journey its network supports: one of the journey's supporters (its origin, the support
    /// organisations engaged) is an organisation of the token, or belongs to one (<paramref name="supportingNetworks"/>: the
    /// supporters with every organisation they belong to). A journey nobody supports yet is open to every programme lead, so
    /// a journey can be started and its support recorded.
    /// </summary>
    public static Refusal? CheckSupport(ClaimsPrincipal user, Journey journey, IReadOnlySet<Guid> supportingNetworks)
    {
        if (!NeedsSupport(user) || journey.Supporters.IsEmpty)
        {
            return null;
        }

        var own = Roles.OrganisationsOf(user);
        return own.Overlaps(supportingNetworks)
            ? null
            : Forbidden("innovationId", "supporting-network",
                own.Count == 0
                    ? $"'{journey.Name}' is supported by {string.Join(", ", journey.Supporters)}: a programme lead's token must name its network (organisation claim)"
                    : $"'{journey.Name}' is supported by {string.Join(", ", journey.Supporters)}, none of them in this token's organisations or their members");
    }

    public static Refusal? Check(ClaimsPrincipal user, JourneyEvent fact)
    {
        if (user.IsInRole(Roles.Admin) || user.IsInRole(Roles.ProgrammeLead))
        {
            return null;
        }

        if (!user.IsInRole(Roles.SiteRecorder))
        {
            return Forbidden("type", "recording-role", "recording a fact needs the site_recorder, programme_lead or admin role");
        }

        if (fact is EventRetracted or EventCorrected)
        {
            // Known once the event it names is read: see CheckTarget.
            return null;
        }

        if (fact is not SiteEvent site)
        {
            return Forbidden("type", "site-events-only", "a site recorder records site events only; innovation-level facts need the programme_lead role");
        }

        var organisations = Roles.OrganisationsOf(user);
        if (!organisations.Contains(site.SiteId))
        {
            return Forbidden("siteId", "own-organisation", $"this token does not speak for site {site.SiteId}");
        }

        return fact is KnowledgeShared shared && !organisations.Contains(shared.ToSiteId)
            ? Forbidden("toSiteId", "own-organisation", $"this token does not speak for site {shared.ToSiteId}")
            : null;
    }

    /// <summary>
    /// A site recorder corrects or retracts what it may record: a site event of one of its sites (for knowledge shared, of both
    /// sites), and a correction may not make another organisation its site. An event the store does not know is left to the
    /// decision, which refuses it as an unknown reference.
    /// </summary>
    public static Refusal? CheckTarget(ClaimsPrincipal user, JourneyEvent fact, DecisionContext context)
    {
        var (field, id) = fact switch
        {
            EventRetracted r => ("retractedEventId", r.RetractedEventId),
            EventCorrected c => ("correctedEventId", c.CorrectedEventId),
            _ => ("", Guid.Empty),
        };
        if (id == Guid.Empty || user.IsInRole(Roles.Admin) || user.IsInRole(Roles.ProgrammeLead) || !context.Events.TryGetValue(id, out var target))
        {
            return null;
        }

        if (target.SiteId is not { } site || EventCatalogue.Find(target.Type)?.Type.IsAssignableTo(typeof(SiteEvent)) != true)
        {
            return Forbidden(field, "site-events-only", $"event {id} is a {target.Type}: a site recorder corrects or retracts site events only");
        }

        var organisations = Roles.OrganisationsOf(user);
        if (!organisations.Contains(site) || target.Fact is KnowledgeShared shared && !organisations.Contains(shared.ToSiteId))
        {
            return Forbidden(field, "own-organisation", $"event {id} is about a site this token does not speak for");
        }

        var moved = fact is EventCorrected correction
            ? correction.Changes.Where(c => c.Key is "siteId" or "toSiteId").FirstOrDefault(c => !c.Value.TryGetGuid(out var to) || !organisations.Contains(to))
            : default;
        return moved.Key is { } key ? Forbidden($"changes.{key}", "own-organisation", $"this token does not speak for the site {key} would name") : null;
    }

    private static Refusal Forbidden(string field, string rule, string detail) => new(StatusCodes.Status403Forbidden, field, rule, detail);
}
