using System.Diagnostics;
using Marten;

namespace AdoptionEvents.Hosting.Http;

/// <summary>
/// Who is asking and why, stamped on every event a request appends: the user (authenticated, or the
/// development identity until authentication is configured), the correlation id (X-Correlation-Id,
/// else the trace id) and the causation id (X-Causation-Id, else the request id).
/// </summary>
public static class RequestAudit
{
    public const string CorrelationHeader = "X-Correlation-Id";
    public const string CausationHeader = "X-Causation-Id";
    public const string DevelopmentUser = "development-user";

    public static string UserOf(HttpContext http) =>
        http.User.Identity is { IsAuthenticated: true, Name: { Length: > 0 } name } ? name : DevelopmentUser;

    public static string Stamp(IDocumentSession session, HttpContext http)
    {
        var user = UserOf(http);
        session.LastModifiedBy = user;
        session.CorrelationId = Header(http, CorrelationHeader) ?? Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier;
        session.CausationId = Header(http, CausationHeader) ?? http.TraceIdentifier;
        session.SetHeader("request", $"{http.Request.Method} {http.Request.Path}");
        return user;
    }

    private static string? Header(HttpContext http, string name) =>
        http.Request.Headers.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.ToString() : null;
}
