using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AdoptionEvents.Hosting;

public static class Telemetry
{
    public const string ServiceName = "adoption-events";

    /// <summary>
    /// Traces and metrics for ASP.NET Core, outgoing HTTP, Npgsql, Marten and Wolverine, exported over OTLP
    /// when OTEL_EXPORTER_OTLP_ENDPOINT is configured. Without a collector nothing is recorded: a span per
    /// request, per query and per message would cost CPU on every command for nobody to read.
    /// </summary>
    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            return builder;
        }

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceName))
            .WithTracing(t => t
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddSource("Marten", "Wolverine"))
            .WithMetrics(m => m
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddMeter("Npgsql", "Marten", "Wolverine", ServiceName))
            .UseOtlpExporter();
        return builder;
    }
}
