namespace AdoptionEvents.Importing;

public static class Configuration
{
    /// <summary>Import (API job and CLI), the demo journeys loaded into an empty store, and the synthetic generator.</summary>
    public static WebApplicationBuilder AddImporting(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<Importer>();
        builder.Services.AddSingleton<ImportJobs>();
        builder.Services.AddSingleton<DemoLoader>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DemoLoader>());
        return builder;
    }
}
