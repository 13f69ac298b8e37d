using Microsoft.AspNetCore.Authorization;
using Wolverine.Http;

namespace AdoptionEvents.Hosting.Security;

/// <summary>
/// One authorization policy per family of endpoints, chosen for every Wolverine endpoint by route prefix
/// and HTTP method, so an endpoint added later is covered without an attribute to forget.
/// </summary>
public static class Policies
{
    public const string Read = "read";
    public const string Record = "record";
    public const string ManageOrganisations = "manage-organisations";
    public const string Integrate = "integrate";
    public const string Administer = "administer";

    public static void Add(AuthorizationOptions options, bool allowAnonymousReads)
    {
        options.AddPolicy(Read, allowAnonymousReads
            ? p => p.RequireAssertion(_ => true)
            : p => p.RequireRole(Roles.All));
        options.AddPolicy(Record, p => p.RequireRole(Roles.SiteRecorder, Roles.ProgrammeLead, Roles.Admin));
        options.AddPolicy(ManageOrganisations, p => p.RequireRole(Roles.ProgrammeLead, Roles.Admin));
        options.AddPolicy(Integrate, p => p.RequireRole(Roles.Integrator, Roles.Admin));
        options.AddPolicy(Administer, p => p.RequireRole(Roles.Admin));
    }

    /// <summary>The policy of an endpoint; what no rule names is for administrators only.</summary>
    public static string For(string route, string method)
    {
        var read = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        return route switch
        {
            _ when Under(route, "/api/admin") || Under(route, "/api/imports") => Administer,
            _ when Under(route, "/api/events") || Under(route, "/api/subscriptions") => Integrate,
            _ when read && route.StartsWith("/api/", StringComparison.Ordinal) => Read,
            _ when Under(route, "/api/organisations") => ManageOrganisations,
            _ when Under(route, "/api/innovations") => Record,
            _ => Administer,
        };
    }

    public static void Apply(HttpChain chain)
    {
        var route = "/" + (chain.RoutePattern?.RawText ?? "").TrimStart('/');
        var method = chain.HttpMethods.FirstOrDefault() ?? HttpMethods.Post;
        chain.Metadata.RequireAuthorization(For(route, method));
    }

    private static bool Under(string route, string prefix) =>
        route == prefix || route.StartsWith(prefix + "/", StringComparison.Ordinal);
}
