using AdoptionEvents.Importing.Synthetic;
using JasperFx.CommandLine;
using Marten;
using Spectre.Console;

namespace AdoptionEvents.Importing;

public sealed class ImportInput : NetCoreInput
{
    [Description("The file: a King's Fund journeys file (JSON) or an export (NDJSON)")]
    public string File { get; set; } = "";

    [Description("auto (bulk COPY for new journeys above 2,000 new events), always or never")]
    public BulkMode BulkFlag { get; set; } = BulkMode.Auto;
}

[Description("Import a King's Fund journeys file or an export (NDJSON); the whole file is validated first", Name = "import")]
public sealed class ImportCommand : JasperFxAsyncCommand<ImportInput>
{
    public override async Task<bool> Execute(ImportInput input)
    {
        if (!System.IO.File.Exists(input.File))
        {
            AnsiConsole.MarkupLineInterpolated($"[red]No file {input.File}[/]");
            return false;
        }

        using var host = input.BuildHost();
        await using var stream = System.IO.File.OpenRead(input.File);
        var batch = ExportFormat.ReadAny(stream);
        return await ImportConsole.RunAsync(host.Services, batch, new ImportOptions(Environment.UserName is { Length: > 0 } u ? u : "cli", input.BulkFlag));
    }
}

[Description("Load the built-in demo journeys (eight King's Fund journeys); a second run adds nothing", Name = "demo")]
public sealed class DemoCommand : JasperFxAsyncCommand<NetCoreInput>
{
    public override async Task<bool> Execute(NetCoreInput input)
    {
        using var host = input.BuildHost();
        return await ImportConsole.RunAsync(host.Services, DemoData.Batch(), new ImportOptions("demo-loader", BulkMode.Never));
    }
}

public sealed class GenerateInput : NetCoreInput
{
    [Description("Multiplies the network's counts: 1 reproduces the first AHSN licence headline figures")]
    public int ScaleFlag { get; set; } = 1;

    [Description("Seed of the random generator (same seed and scale, same data)")]
    public int SeedFlag { get; set; } = SyntheticNetwork.DefaultSeed;

    [Description("Write an export-format NDJSON file here instead of writing to the store")]
    public string? OutFlag { get; set; }

    [Description("auto, always (bulk COPY) or never (one transaction per journey)")]
    public BulkMode BulkFlag { get; set; } = BulkMode.Always;
}

[Description("Generate synthetic journeys at network scale (regions, HINs, ICBs, S-curves, barriers, dominoes, metrics)", Name = "generate")]
public sealed class GenerateCommand : JasperFxAsyncCommand<GenerateInput>
{
    public override async Task<bool> Execute(GenerateInput input)
    {
        // Disposing the host stops a private PostgreSQL cluster that building the application may have started.
        using var host = input.BuildHost();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var batch = SyntheticNetwork.Generate(input.ScaleFlag, input.SeedFlag);
        AnsiConsole.MarkupLineInterpolated($"Generated {batch.Journeys.Count} journeys, {batch.EventCount} events, {batch.Organisations.Count} organisations in {watch.Elapsed.TotalSeconds:F1} s (scale {input.ScaleFlag}, seed {input.SeedFlag})");
        if (input.OutFlag is { Length: > 0 } path)
        {
            await using var writer = new StreamWriter(path);
            await ExportFormat.WriteAsync(writer, batch, SyntheticNetwork.RecordedAt, "generator", CancellationToken.None);
            AnsiConsole.MarkupLineInterpolated($"Wrote {path}");
            return true;
        }

        return await ImportConsole.RunAsync(host.Services, batch, new ImportOptions("generator", input.BulkFlag));
    }
}

/// <summary>Runs an import from the command line with a progress bar and prints the report.</summary>
public static class ImportConsole
{
    public static async Task<bool> RunAsync(IServiceProvider services, ImportBatch batch, ImportOptions options)
    {
        var store = services.GetRequiredService<IDocumentStore>();
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        var importer = services.GetRequiredService<Importer>();
        ImportReport? report = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask("validating", maxValue: Math.Max(1, batch.EventCount));
                report = await importer.ImportAsync(batch, options, p =>
                {
                    task.Description = p.Phase;
                    task.Value = p.EventsWritten + p.EventsSkipped;
                }, CancellationToken.None);
                task.Value = task.MaxValue;
            });

        var r = report!;
        if (r.Outcome == ImportOutcome.Refused)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]Refused: {r.Problems.Count} problems; nothing was written.[/]");
            foreach (var p in r.Problems.Take(50))
            {
                AnsiConsole.WriteLine($"  {p}");
            }

            return false;
        }

        var rate = r.Duration.TotalSeconds > 0 ? r.EventsWritten / r.Duration.TotalSeconds : 0;
        AnsiConsole.MarkupLineInterpolated(
            $"{r.Outcome}: {r.Journeys.Count} journeys, {r.EventsWritten} events written, {r.EventsSkipped} already stored, {r.OrganisationsCreated} organisations registered, {r.Duration.TotalSeconds:F1} s ({rate:F0} events/s){(r.BulkPath ? ", bulk path" : "")}");
        AnsiConsole.WriteLine($"  phases (s): {string.Join(", ", r.PhaseSeconds.Select(p => $"{p.Key} {p.Value:F1}"))}");
        foreach (var p in r.Problems.Take(50))
        {
            AnsiConsole.WriteLine($"  {p}");
        }

        return r.Outcome == ImportOutcome.Succeeded;
    }
}
