using System.Net;
using System.Net.Sockets;
using AdoptionEvents.Hosting.Database;
using AdoptionEvents.Integration;
using AdoptionEvents.ReadModels;
using AdoptionEvents.ReadModels.Admin;
using AdoptionEvents.ReadModels.InnovationSummaries;
using JasperFx;
using Microsoft.AspNetCore.Hosting.Server;
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

        builder.AddTelemetry();
        var stages = builder.Configuration.GetSection("Stages").Get<StageThresholds>() ?? new StageThresholds();
        builder.Services.Configure<StageThresholds>(builder.Configuration.GetSection("Stages"));
        builder.AddEventStore(
            Journeys.Configuration.ConfigureJourneys,
            Organisations.Configuration.ConfigureOrganisations,
            options => options.ConfigureReadModels(stages));
        builder.AddIntegration();
        builder.Services.AddSingleton<ProjectionLag>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ProjectionLag>());
        builder.Services.AddSingleton<RebuildJobs>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<Http.JsonBody>();
        builder.Services.ConfigureHttpJsonOptions(o => Json.ConfigureHttp(o.SerializerOptions));
        builder.Services.AddProblemResponses();
        builder.Services.AddHealth();
        builder.Services.AddOpenApi();
        builder.Services.AddWolverineHttp();
        return builder;
    }

    public static WebApplication UseAdoptionEvents(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapHealth();
        app.MapApiDocumentation();
        app.MapWolverineEndpoints(o =>
        {
            o.RejectUnparseableQueryValues = true;
            o.RejectUnparseableHeaderValues = true;
        });
        app.Lifetime.ApplicationStarted.Register(() =>
            app.Logger.LogInformation("AdoptionEvents is ready on {Urls}", string.Join(", ", app.Urls)));
        return app;
    }

    /// <summary>
    /// Given a command, the JasperFx command line (help, db-apply, projections, codegen ...). Without, the
    /// server: the HTTP addresses and the database are checked first, so a configuration problem ends the
    /// process with one line that names it, not a stack trace.
    /// </summary>
    public static async Task<int> RunAdoptionEventsAsync(this WebApplication app, string[] args)
    {
        if (args.Length > 0 && !args[0].StartsWith('-'))
        {
            return await app.RunJasperFxCommands(args);
        }

        try
        {
            // Only a socket server can find its address taken (an in-process test server cannot).
            if (app.Services.GetRequiredService<IServer>().GetType().Name.StartsWith("Kestrel", StringComparison.Ordinal))
            {
                EnsureAddressesAreFree(app.Configuration[WebHostDefaults.ServerUrlsKey] ?? DefaultUrl);
            }

            _ = app.Services.GetRequiredService<ProvisionedDatabase>();
            await app.RunAsync();
            return 0;
        }
        catch (StartupConfigurationException e)
        {
            await Console.Error.WriteLineAsync($"AdoptionEvents cannot start: {e.Message}");
            await app.DisposeAsync();
            return 1;
        }
    }

    private static void EnsureAddressesAreFree(string urls)
    {
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var address = BindingAddress.Parse(url);
            var ip = address.Host switch
            {
                "localhost" => IPAddress.Loopback,
                "*" or "+" or "0.0.0.0" => IPAddress.Any,
                var host => IPAddress.TryParse(host, out var parsed) ? parsed : null,
            };
            if (ip is null || address.Port == 0)
            {
                continue;
            }

            try
            {
                using var probe = new TcpListener(ip, address.Port);
                probe.Start();
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                throw new StartupConfigurationException(
                    $"{url} is already in use: stop what listens there or set ASPNETCORE_URLS to another address.", e);
            }
        }
    }
}
