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

    private sealed class KnownExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            ProblemDetails? problem = exception switch
            {
                BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } e =>
                    new() { Status = 413, Title = "Request body too large", Detail = e.Message },
                BadHttpRequestException e =>
                    new() { Status = e.StatusCode, Title = "Bad request", Detail = e.Message },
                JsonException e =>
                    new() { Status = 400, Title = "Malformed JSON", Detail = e.Message },
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
