using System.Threading.RateLimiting;
using AdoptionEvents.Hosting.Http;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace AdoptionEvents.Hosting.Security;

/// <summary>
/// Who may call what: JWT bearer tokens from an OpenID Connect provider (or, outside Production, development
/// tokens), a policy per endpoint family, a rate limit per client, CORS and security headers.
/// </summary>
public static class SecuritySetup
{
    public static WebApplicationBuilder AddSecurity(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var authority = configuration["Authentication:Authority"];
        var audience = DevelopmentTokens.AudienceOf(configuration);

        // Resolved at start-up (see SecurityCheck) so a development key in Production stops the process.
        builder.Services.AddSingleton(sp => new DevelopmentTokenSource(
            DevelopmentTokens.Resolve(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<IHostEnvironment>())));
        builder.Services.AddHostedService<SecurityCheck>();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IConfiguration>(TrustedProxies.Apply);
        builder.Services.AddSingleton<WebhookTargets>();

        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<DevelopmentTokenSource, TimeProvider>((o, development, clock) =>
            {
                o.TokenHandlers.Clear();
                o.TokenHandlers.Add(new RememberedTokens(clock) { MapInboundClaims = false });
                o.MapInboundClaims = false;
                o.TokenValidationParameters.NameClaimType = Roles.NameClaim;
                o.TokenValidationParameters.RoleClaimType = Roles.RoleClaim;
                o.TokenValidationParameters.ClockSkew = TimeSpan.FromSeconds(30);
                o.Audience = audience;
                o.Events = new JwtBearerEvents { OnChallenge = ChallengeAsync, OnForbidden = ForbiddenAsync };
                if (development.Tokens is { } tokens)
                {
                    o.TokenValidationParameters.ValidIssuer = DevelopmentTokens.Issuer;
                    o.TokenValidationParameters.ValidAudience = tokens.Audience;
                    o.TokenValidationParameters.IssuerSigningKey = tokens.Key;
                }
                else if (!string.IsNullOrWhiteSpace(authority))
                {
                    o.Authority = authority;
                }
            });

        var allowAnonymousReads = configuration.GetValue("Authentication:AllowAnonymousReads", false);
        builder.Services.AddAuthorization(o => Policies.Add(o, allowAnonymousReads));

        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                if (http.Request.Path.StartsWithSegments("/health"))
                {
                    return RateLimitPartition.GetNoLimiter("health");
                }

                var limits = http.RequestServices.GetRequiredService<IOptions<RateLimits>>().Value;
                return RateLimitPartition.GetFixedWindowLimiter(ClientOf(http), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = limits.PermitLimit,
                    Window = TimeSpan.FromSeconds(limits.WindowSeconds),
                    QueueLimit = 0,
                });
            });
            o.OnRejected = (context, _) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                return ValueTask.CompletedTask;
            };
        });
        builder.Services.Configure<RateLimits>(configuration.GetSection("RateLimiting"));

        var origins = configuration.GetSection("Cors:AllowedOrigins").Get<string[]>() ?? [];
        builder.Services.AddCors(o => o.AddDefaultPolicy(p =>
            p.WithOrigins(origins).AllowAnyHeader().AllowAnyMethod().WithExposedHeaders("ETag", "Location", "Retry-After")));
        return builder;
    }

    /// <summary>Order matters: headers on every answer, CORS before authentication, the rate limit after it (it partitions by user).</summary>
    public static WebApplication UseSecurity(this WebApplication app)
    {
        if (TrustedProxies.Configured(app.Configuration))
        {
            // First, so the rate limit (and everything after) sees the caller the trusted proxy saw.
            app.UseForwardedHeaders();
        }

        app.Use(SecurityHeaders);
        app.UseCors();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        return app;
    }

    /// <summary>401 as ProblemDetails, saying what is wrong with the token (never why it would be accepted).</summary>
    private static async Task ChallengeAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var detail = context.AuthenticateFailure switch
        {
            null => "a bearer token is required: Authorization: Bearer <token>",
            SecurityTokenExpiredException => "the token has expired",
            SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "the token's signature is not valid",
            SecurityTokenInvalidAudienceException => "the token is for another audience",
            SecurityTokenInvalidIssuerException => "the token is from another issuer",
            _ => "the token is not valid",
        };
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = context.AuthenticateFailure is null ? "Bearer" : "Bearer error=\"invalid_token\"";
        await WriteProblemAsync(context.HttpContext, StatusCodes.Status401Unauthorized, "Unauthorized", "authentication", detail);
    }

    private static Task ForbiddenAsync(ForbiddenContext context)
    {
        var roles = context.HttpContext.User.FindAll(Roles.RoleClaim).Select(c => c.Value).ToList();
        var who = roles.Count == 0 ? "a token without a role" : $"the role {string.Join(", ", roles)}";
        return WriteProblemAsync(context.HttpContext, StatusCodes.Status403Forbidden, "Forbidden", "role",
            $"{who} may not {context.Request.Method} {context.Request.Path}");
    }

    private static async Task WriteProblemAsync(HttpContext http, int status, string title, string rule, string detail)
    {
        http.Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail, Type = $"urn:adoption-events:problem:{rule}" };
        problem.Extensions["rule"] = rule;
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem });
    }

    /// <summary>The authenticated user's subject, else the name; else the caller's address.</summary>
    private static string ClientOf(HttpContext http) =>
        http.User.Identity is { IsAuthenticated: true } && (http.User.FindFirst(Roles.SubjectClaim)?.Value ?? http.User.Identity.Name) is { Length: > 0 } user
            ? $"user:{user}"
            : $"ip:{http.Connection.RemoteIpAddress}";

    private static Task SecurityHeaders(HttpContext http, Func<Task> next)
    {
        var headers = http.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";

        // The browsable API reference needs its scripts and styles; everything else is data, never a page.
        if (!http.Request.Path.StartsWithSegments("/scalar"))
        {
            headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
        }

        return next();
    }

    public sealed class RateLimits
    {
        public int PermitLimit { get; set; } = 600;

        public int WindowSeconds { get; set; } = 60;
    }

    /// <summary>Resolves the development key first thing at start-up, so a misconfiguration fails fast.</summary>
    private sealed class SecurityCheck(DevelopmentTokenSource source, IOptions<ForwardedHeadersOptions> forwarded) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = (source, forwarded.Value);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>The development tokens this host accepts, if any (resolved once).</summary>
public sealed record DevelopmentTokenSource(DevelopmentTokens? Tokens);
