using System.Security.Claims;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.SiteAdoption;

namespace AdoptionEvents.Hosting.Security;

/// <summary>
/// Which facts a caller may record, beyond the endpoint's policy: programme leads and administrators any;
/// a site recorder only site events whose sites (and, for knowledge shared, the receiving site) are among
/// the organisations of its token.
/// </summary>
public static class RecordingRights
{
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

    private static Refusal Forbidden(string field, string rule, string detail) => new(StatusCodes.Status403Forbidden, field, rule, detail);
}
