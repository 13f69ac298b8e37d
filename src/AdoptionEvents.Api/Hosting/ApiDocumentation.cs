using Scalar.AspNetCore;

namespace AdoptionEvents.Hosting;

public static class ApiDocumentation
{
    /// <summary>The OpenAPI document at /openapi/v1.json and a browsable reference at /scalar.</summary>
    public static WebApplication MapApiDocumentation(this WebApplication app)
    {
        app.MapOpenApi();
        app.MapScalarApiReference(o => o.WithTitle("AdoptionEvents API"));
        return app;
    }
}
