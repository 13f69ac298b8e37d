using AdoptionEvents.Hosting;
using AdoptionEvents.Hosting.Http;
using AdoptionEvents.Organisations;
using Marten;
using Wolverine.Http;

namespace AdoptionEvents.Journeys.Recording;

/// <summary>
/// Start a journey with its first fact: need_identified or innovation_registered. Answers 201 with the
/// innovation id, the event ids (for later causedBy links) and the version (for If-Match).
/// </summary>
public static class StartJourneyEndpoint
{
    [WolverinePost("/api/innovations")]
    public static async Task<IResult> Post(HttpContext http, JsonBody body, IDocumentSession session, RegisteredOrganisations registered, TimeProvider clock, CancellationToken ct) =>
        await body.ReadAsync<JourneyEvent>(http.Request, ct) switch
        {
            (_, { } refusal) => Problems.For(refusal),
            (var first, _) => await JourneyWriter.StartAsync(first!, http, session, registered, clock, ct),
        };
}

/// <summary>
/// Record one fact of any family on a journey. The body names its event in "type" (the stored name,
/// e.g. service_went_live); optional headers: If-Match (the version seen: 412 when stale),
/// Idempotency-Key (a retry returns the first answer), X-Correlation-Id, X-Causation-Id.
/// </summary>
public static class RecordFactEndpoint
{
    [WolverinePost("/api/innovations/{innovationId}/events")]
    public static async Task<IResult> Post(Guid innovationId, HttpContext http, JsonBody body, IQuerySession session, RegisteredOrganisations registered, JourneyCommitQueue commits, CancellationToken ct) =>
        await body.ReadAsync<JourneyEvent>(http.Request, ct) switch
        {
            (_, { } refusal) => Problems.For(refusal),
            (var fact, _) => await JourneyWriter.AppendAsync(innovationId, fact!, http, session, registered, commits, ct),
        };
}
