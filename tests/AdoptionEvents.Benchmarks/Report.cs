using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AdoptionEvents.Benchmarks;

/// <summary>One measured path: the headline figure, every number behind it, the issue 9 target and whether it was met.</summary>
public sealed record PathResult
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    /// <summary>measured, incomplete (stopped at its time box; the figure is a bound), not run, or error.</summary>
    public string Status { get; init; } = "measured";

    public string Figure { get; init; } = "";

    public Dictionary<string, double> Figures { get; init; } = [];

    /// <summary>Each timed request's milliseconds in the order they ran, where the figure is a median and a slowest of a few.</summary>
    public IReadOnlyList<double>? Samples { get; init; }

    public string? Target { get; init; }

    public bool? Pass { get; init; }

    public double? RatioToA { get; init; }

    /// <summary>What exactly was measured and how.</summary>
    public string? Method { get; init; }

    public static PathResult NotRun(string id, string name, string why) => new() { Id = id, Name = name, Status = "not run", Figure = why };

    public static PathResult Failed(string id, string name, Exception e) => new() { Id = id, Name = name, Status = "error", Figure = e.Message.Split('\n')[0] };
}

/// <summary>Where the figures came from.</summary>
public sealed record Machine(int Cores, string Memory, string Cpu, string Os, string Dotnet, string Commit, string LoadAtStart, string StartedAt)
{
    public string PostgreSql { get; set; } = "PostgreSQL not started (no load path ran)";

    public static Machine Describe(string? commit) => new(
        Environment.ProcessorCount,
        Field("/proc/meminfo", "MemTotal") is { } kb && long.TryParse(kb.Split(' ')[0], CultureInfo.InvariantCulture, out var k) ? $"{k / 1024.0 / 1024:F1} GiB" : "unknown",
        Field("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString(),
        $"{OsRelease()} ({RuntimeInformation.OSDescription})",
        RuntimeInformation.FrameworkDescription,
        commit ?? Git("rev-parse --short HEAD") ?? "unknown",
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown",
        DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture));

    private static string? Field(string file, string name) =>
        File.Exists(file) ? File.ReadLines(file).FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?.Split(':', 2)[1].Trim() : null;

    private static string OsRelease() =>
        File.Exists("/etc/os-release") && File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal)) is { } line
            ? line["PRETTY_NAME=".Length..].Trim('"')
            : RuntimeInformation.OSDescription;

    private static string? Git(string args)
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
            var output = git!.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}

/// <summary>results.md and results.json: the machine, the settings, every path, and the micro benchmarks when they ran.</summary>
public static class Report
{
    // A path with no successful sample has NaN percentiles: written as "NaN" rather than failing the report.
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static async Task WriteAsync(string directory, Machine machine, HarnessOptions options, IReadOnlyList<PathResult> paths, IReadOnlyList<string> notes, TimeSpan wall)
    {
        var micro = Path.Combine(directory, "micro.json");
        var microResults = File.Exists(micro) ? JsonNode.Parse(await File.ReadAllTextAsync(micro)) : null;
        var settings = new
        {
            options.Scale, LargeJourneySites = options.Sites, LargeJourneyEvents = options.Events, options.Concurrency,
            CommandSeconds = options.CommandDuration.TotalSeconds, CommandWarmUpSeconds = options.CommandWarmUp.TotalSeconds, options.AsOfRuns, options.LagCommands, LagIntervalMs = options.LagInterval.TotalMilliseconds,
            ImportBoxSeconds = options.ImportBox.TotalSeconds, RebuildBoxSeconds = options.RebuildBox.TotalSeconds, Only = options.Only.Order().ToList(),
        };
        // The script passes its start (before the build and the micro benchmarks) so the suite's wall time is reported too.
        double? suite = long.TryParse(Environment.GetEnvironmentVariable("BENCH_STARTED"), CultureInfo.InvariantCulture, out var started)
            ? Math.Round((DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeSeconds(started)).TotalSeconds) : null;
        var json = new { machine, settings, wallSeconds = Math.Round(wall.TotalSeconds, 1), suiteWallSeconds = suite, paths, micro = microResults, notes };
        await File.WriteAllTextAsync(Path.Combine(directory, "results.json"), JsonSerializer.Serialize(json, Indented));

        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Benchmark results ({machine.StartedAt}, commit {machine.Commit})");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Machine: {machine.Cores} cores, {machine.Memory}, {machine.Cpu}; {machine.Os}; {machine.PostgreSql}; {machine.Dotnet}. Load average at start: {machine.LoadAtStart}.");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Settings: synthetic network x{options.Scale}; large journey {options.Sites:N0} sites / {options.Events:N0} events; {options.Concurrency} concurrent clients for {options.CommandDuration.TotalSeconds:F0} s after {options.CommandWarmUp.TotalSeconds:F0} s of warm-up; as-of {options.AsOfRuns} runs; lag {options.LagCommands} commands every {options.LagInterval.TotalMilliseconds:F0} ms; paths {string.Join(",", options.Only.Order())}. Load harness wall time {wall.TotalSeconds:F0} s{(suite is { } total ? $"; whole suite (build, micro benchmarks, load harness) {total:F0} s" : "")}.");
        md.AppendLine();
        md.AppendLine("| Path | Figure | Target (issue 9) | Result | Ratio to a |");
        md.AppendLine("|---|---|---|---|---|");
        foreach (var p in paths)
        {
            var result = p.Status switch
            {
                "measured" or "incomplete" when p.Pass is { } pass => (pass ? "pass" : "FAIL") + (p.Status == "incomplete" ? " (incomplete)" : ""),
                "measured" => "",
                _ => p.Status,
            };
            md.AppendLine(CultureInfo.InvariantCulture, $"| {p.Id}. {p.Name} | {p.Figure} | {p.Target} | {result} | {(p.RatioToA is { } r ? $"{r:P1}" : "")} |");
        }

        if (microResults is JsonArray rows && rows.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Micro benchmarks (BenchmarkDotNet, short run, in process)");
            md.AppendLine();
            md.AppendLine("| Benchmark | Mean | Error | Allocated |");
            md.AppendLine("|---|---|---|---|");
            foreach (var row in rows)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {row?["name"]} | {Time(row?["meanNs"]?.GetValue<double>())} | {Time(row?["errorNs"]?.GetValue<double>())} | {Bytes(row?["allocatedBytes"]?.GetValue<double>())} |");
            }
        }

        md.AppendLine();
        md.AppendLine("## How each path is measured");
        md.AppendLine();
        foreach (var p in paths.Where(p => p.Method is not null))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {p.Id}: {p.Method}");
        }

        if (notes.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Notes");
            md.AppendLine();
            foreach (var note in notes)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
            }
        }

        await File.WriteAllTextAsync(Path.Combine(directory, "results.md"), md.ToString());
    }

    private static string Time(double? ns) => ns switch
    {
        null => "",
        >= 1_000_000 => $"{ns / 1_000_000:F2} ms",
        >= 1_000 => $"{ns / 1_000:F2} µs",
        _ => $"{ns:F1} ns",
    };

    private static string Bytes(double? bytes) => bytes switch
    {
        null => "",
        >= 1024 * 1024 => $"{bytes / 1024 / 1024:F1} MiB",
        >= 1024 => $"{bytes / 1024:F1} KiB",
        _ => $"{bytes:F0} B",
    };

    public static string MiB(long bytes) => $"{bytes / 1024.0 / 1024:F0} MiB";
}
