using System.Text.Json;
using JasperFx;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace AdoptionEvents.Hosting;

/// <summary>Every error leaves as RFC 9457 ProblemDetails: expected refusals are mapped here, the rest is a 500.</summary>
public static class Problems
{
    public static IServiceCollection AddProblemResponses(this IServiceCollection services)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
            c.ProblemDetails.Extensions.TryAdd("traceId", c.HttpContext.TraceIdentifier));
        services.AddExceptionHandler<KnownExceptionHandler>();
        return services;
    }

    /// <summary>A refusal as ProblemDetails: the first reason names field and rule; "errors" lists them all.</summary>
    public static IResult For(params Refusal[] refusals)
    {
        var first = refusals[0];
        var problem = new ProblemDetails
        {
            Status = first.Status,
            Title = first.Status switch
            {
                400 => "Invalid input",
                403 => "Forbidden",
                404 => "Not found",
                409 => "Refused by the rules of the journey",
                412 => "Stale version",
                413 => "Request body too large",
                422 => "Unknown reference",
                503 => "Not configured",
                _ => "Refused",
            },
            Detail = string.Join("; ", refusals.Select(r => $"{r.Field}: {r.Detail}")),
            Type = $"urn:adoption-events:problem:{first.Rule}",
        };
        problem.Extensions["field"] = first.Field;
        problem.Extensions["rule"] = first.Rule;
        problem.Extensions["errors"] = refusals.Select(r => new { field = r.Field, rule = r.Rule, detail = r.Detail }).ToArray();
        return Results.Problem(problem);
    }

    public static IResult For(IEnumerable<Refusal> refusals) => For([.. refusals]);

    private sealed class KnownExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            ProblemDetails? problem = exception switch
            {
                BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } e =>
                    new() { Status = 413, Title = "Request body too large", Detail = e.Message },
                JsonException e =>
                    new() { Status = 400, Title = "Malformed JSON", Detail = e.Message, Extensions = { ["field"] = e.Path, ["rule"] = "json" } },
                BadHttpRequestException { InnerException: JsonException e } =>
                    new() { Status = 400, Title = "Malformed JSON", Detail = e.Message, Extensions = { ["field"] = e.Path, ["rule"] = "json" } },
                NotSupportedException e when e.Message.Contains("abstract", StringComparison.Ordinal) =>
                    new() { Status = 400, Title = "Malformed JSON", Detail = "the body must name its event in \"type\" (see GET /api/vocabularies)", Extensions = { ["field"] = "type", ["rule"] = "required" } },
                BadHttpRequestException e =>
                    new() { Status = e.StatusCode, Title = "Bad request", Detail = e.Message },
                ConcurrencyException e =>
                    new() { Status = 409, Title = "Concurrent change", Detail = e.Message },
                _ => null,
            };
            if (problem is null)
            {
                return false;
            }

            httpContext.Response.StatusCode = problem.Status!.Value;
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = httpContext, ProblemDetails = problem, Exception = exception,
            });
        }
    }
}
