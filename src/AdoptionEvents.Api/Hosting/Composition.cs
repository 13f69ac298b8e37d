using AdoptionEvents.Hosting.Database;
using AdoptionEvents.Hosting.Security;
using AdoptionEvents.Integration;
using AdoptionEvents.ReadModels;
using AdoptionEvents.ReadModels.Admin;
using AdoptionEvents.ReadModels.InnovationSummaries;
using JasperFx;
using Microsoft.AspNetCore.Connections;
using Wolverine.Http;

namespace AdoptionEvents.Hosting;

/// <summary>The composition root: every module registers itself here, once.</summary>
public static class Composition
{
    public const string DefaultUrl = "http://localhost:5080";

    public static WebApplicationBuilder AddAdoptionEvents(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        // Start-up failures are explained in one line by RunAdoptionEventsAsync; the host would log a stack trace too.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.AddTelemetry();
        builder.AddSecurity();
        var stages = StageThresholds.From(builder.Configuration.GetSection("Stages"));
        builder.Services.AddSingleton(Microsoft.Extensions.Options.Options.Create(stages));
        builder.AddEventStore(
            Journeys.Configuration.ConfigureJourneys,
            Organisations.Configuration.ConfigureOrganisations,
            options => options.ConfigureReadModels(stages, ReadModels.Configuration.CachedSites(builder.Configuration)));
        builder.AddIntegration();
        builder.Services.AddSingleton<ProjectionLag>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ProjectionLag>());
        builder.Services.AddSingleton<RebuildJobs>();
        builder.Services.AddSingleton(Journeys.Recording.GroupCommitWait.From(builder.Configuration));
        builder.Services.AddSingleton<Journeys.Recording.JourneyCommitQueue>();
        builder.Services.AddSingleton<Organisations.RegisteredOrganisations>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<Http.JsonBody>();
        builder.Services.ConfigureHttpJsonOptions(o => Json.ConfigureHttp(o.SerializerOptions));
        builder.Services.AddProblemResponses();
        builder.Services.AddHealth();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer(OpenApiBearer.DeclareAsync));
        builder.Services.AddWolverineHttp();
        Importing.Configuration.AddImporting(builder);
        Evaluation.Configuration.AddEvaluation(builder);
        return builder;
    }

    public static WebApplication UseAdoptionEvents(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseSecurity();
        app.MapHealth();
        app.MapApiDocumentation();
        app.MapWolverineEndpoints(o =>
        {
            o.RejectUnparseableQueryValues = true;
            o.RejectUnparseableHeaderValues = true;
            o.ConfigureEndpoints(Policies.Apply);
            o.AddMiddleware(typeof(Http.RequestAuditMiddleware), chain =>
                !chain.HttpMethods.Contains(HttpMethods.Get) && chain.RoutePattern?.RawText?.TrimStart('/').StartsWith("api/organisations/", StringComparison.Ordinal) == true);
        });
        app.Lifetime.ApplicationStarted.Register(() =>
            app.Logger.LogInformation("AdoptionEvents is ready on {Urls}", string.Join(", ", app.Urls)));
        return app;
    }

    /// <summary>
    /// Given a command, the JasperFx command line (help, db-apply, projections, codegen ...). Without, the
    /// server: a configuration problem (no database, refused credentials, an address in use) ends the
    /// process with one line that names it, not a stack trace.
    /// </summary>
    public static async Task<int> RunAdoptionEventsAsync(this WebApplication app, string[] args)
    {
        if (args.Length > 0 && !args[0].StartsWith('-'))
        {
            // Disposing stops a private PostgreSQL cluster a command may have started.
            var code = await app.RunJasperFxCommands(args);
            await app.DisposeAsync();
            return code;
        }

        try
        {
            if (app.Services.GetRequiredService<DevelopmentTokenSource>().Tokens is null && string.IsNullOrWhiteSpace(app.Configuration["Authentication:Authority"]))
            {
                app.Logger.LogWarning("Neither Authentication:Authority nor a development signing key is configured: every /api call will be answered 401");
            }

            _ = app.Services.GetRequiredService<ProvisionedDatabase>();
            await app.StartAsync();
        }
        catch (Exception e) when (Explain(e) is { } message)
        {
            await app.DisposeAsync();
            return await CannotStartAsync(message);
        }

        await app.WaitForShutdownAsync();
        await app.DisposeAsync();
        return 0;
    }

    /// <summary>
    /// Says in one line, on standard error, why the API cannot start (a setting it refuses, a port already taken), and
    /// gives the process's exit code: for a setting read while the services are added (<see cref="AddAdoptionEvents"/>),
    /// and for one read as the host starts (<see cref="RunAdoptionEventsAsync"/>).
    /// </summary>
    public static async Task<int> CannotStartAsync(string message)
    {
        await Console.Error.WriteLineAsync($"AdoptionEvents cannot start: {message}");
        return 1;
    }

    private static string? Explain(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case StartupConfigurationException startup:
                    return startup.Message;
                case IOException when e.InnerException is AddressInUseException || e is AddressInUseException:
                    return $"{e.Message} Stop what listens there or set ASPNETCORE_URLS to another address.";
                case AggregateException aggregate:
                    return aggregate.InnerExceptions.Select(Explain).FirstOrDefault(m => m is not null);
            }
        }

        return null;
    }
}
