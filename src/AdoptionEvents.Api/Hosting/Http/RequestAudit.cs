using System.Diagnostics;
using AdoptionEvents.Hosting.Security;
using Marten;

namespace AdoptionEvents.Hosting.Http;

/// <summary>
/// Who is asking and why, stamped on every event a request appends: the user (the token's subject, else its
/// name), the organisations the token speaks for (header "organisation"), the correlation id
/// (X-Correlation-Id, else the trace id) and the causation id (X-Causation-Id, else the request id).
/// Nothing else about the person is stored.
/// </summary>
public static class RequestAudit
{
    public const string CorrelationHeader = "X-Correlation-Id";
    public const string CausationHeader = "X-Causation-Id";
    public const string OrganisationHeader = "organisation";
    public const string Anonymous = "anonymous";

    public static string UserOf(HttpContext http) =>
        http.User.Identity is { IsAuthenticated: true } identity
        && (http.User.FindFirst(Roles.SubjectClaim)?.Value ?? identity.Name) is { Length: > 0 } user
            ? user
            : Anonymous;

    /// <summary>The request's audit metadata, to stamp on events appended outside its own session.</summary>
    public static AuditStamp Of(HttpContext http)
    {
        var headers = new Dictionary<string, object> { ["request"] = $"{http.Request.Method} {http.Request.Path}" };
        if (Roles.OrganisationsOf(http.User) is { Count: > 0 } organisations)
        {
            headers[OrganisationHeader] = string.Join(",", organisations.Order());
        }

        return new AuditStamp(UserOf(http),
            Header(http, CorrelationHeader) ?? Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier,
            Header(http, CausationHeader) ?? http.TraceIdentifier,
            headers);
    }

    public static string Stamp(IDocumentSession session, HttpContext http)
    {
        var audit = Of(http);
        session.LastModifiedBy = audit.User;
        session.CorrelationId = audit.CorrelationId;
        session.CausationId = audit.CausationId;
        foreach (var (name, value) in audit.Headers)
        {
            session.SetHeader(name, value);
        }

        return audit.User;
    }

    private static string? Header(HttpContext http, string name) =>
        http.Request.Headers.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.ToString() : null;
}

/// <summary>Who recorded an event, in which correlation and causation, and the request's headers.</summary>
public sealed record AuditStamp(string User, string CorrelationId, string CausationId, IReadOnlyDictionary<string, object> Headers)
{
    /// <summary>Stamps an event about to be appended (before it is sealed: the user and ids are in the seal).</summary>
    public void Apply(JasperFx.Events.IEvent e)
    {
        (e.UserName, e.CorrelationId, e.CausationId) = (User, CorrelationId, CausationId);
        foreach (var (name, value) in Headers)
        {
            e.SetHeader(name, value);
        }
    }
}

/// <summary>
/// Stamps the session of endpoints whose events Wolverine appends ([WriteAggregate]), which have no
/// place of their own to call <see cref="RequestAudit.Stamp"/>. Wolverine calls Before by convention.
/// </summary>
public static class RequestAuditMiddleware
{
    public static void Before(HttpContext http, IDocumentSession session) => RequestAudit.Stamp(session, http);
}
