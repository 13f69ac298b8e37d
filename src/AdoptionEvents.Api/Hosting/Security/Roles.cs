using System.Security.Claims;

namespace AdoptionEvents.Hosting.Security;

/// <summary>The roles a token carries in its "role" claims, and what each may do.</summary>
public static class Roles
{
    /// <summary>Reads, replays and exports.</summary>
    public const string Reader = "reader";

    /// <summary>Records site events, only for the organisations named in its "organisation" claims.</summary>
    public const string SiteRecorder = "site_recorder";

    /// <summary>Records any fact of a journey (innovation-level events included) and manages organisations.</summary>
    public const string ProgrammeLead = "programme_lead";

    /// <summary>Webhook subscriptions, the global event log and its stream.</summary>
    public const string Integrator = "integrator";

    /// <summary>Everything, the administration, imports and rebuilds included.</summary>
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Reader, SiteRecorder, ProgrammeLead, Integrator, Admin];

    public const string RoleClaim = "role";
    public const string OrganisationClaim = "organisation";
    public const string NameClaim = "name";
    public const string SubjectClaim = "sub";

    /// <summary>The organisations a site recorder may write for.</summary>
    public static IReadOnlySet<Guid> OrganisationsOf(ClaimsPrincipal user) =>
        user.FindAll(OrganisationClaim).Select(c => Guid.TryParse(c.Value, out var id) ? id : Guid.Empty)
            .Where(id => id != Guid.Empty).ToHashSet();
}
