using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace AdoptionEvents.Hosting.Security;

/// <summary>Declares the bearer token in the OpenAPI document, so the reference at /scalar can send one.</summary>
public static class OpenApiBearer
{
    public const string SchemeName = "Bearer";

    public static Task DeclareAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "A token from the OpenID Connect provider (Authentication:Authority), or in Development from `dotnet run -- token --role <role>`.",
        };
        document.Security ??= [];
        document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] });
        return Task.CompletedTask;
    }
}
