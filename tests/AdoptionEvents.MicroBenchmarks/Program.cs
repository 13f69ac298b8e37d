using System.Text.Json;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace AdoptionEvents.MicroBenchmarks;

/// <summary>
/// BenchmarkDotNet over the hot pure code (issue 9): short-run jobs in process, so the whole set takes a
/// few minutes. <c>--out DIR</c> writes DIR/micro.json for the load harness's report (and BenchmarkDotNet's
/// own reports under DIR/micro-artifacts); other arguments go to BenchmarkDotNet (e.g. --filter *Seal*).
/// </summary>
public static class MicroHarness
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static int Main(string[] args)
    {
        var output = Path.GetFullPath("benchmark-results");
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--out" && i + 1 < args.Length)
            {
                output = Path.GetFullPath(args[++i]);
            }
            else
            {
                rest.Add(args[i]);
            }
        }

        Directory.CreateDirectory(output);
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithArtifactsPath(Path.Combine(output, "micro-artifacts"));
        var summaries = BenchmarkRunner.Run(typeof(MicroHarness).Assembly, config, [.. rest]);

        var rows = summaries.SelectMany(s => s.Reports).Where(r => r.ResultStatistics is not null).Select(r => new
        {
            name = r.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\''),
            meanNs = r.ResultStatistics!.Mean,
            errorNs = r.ResultStatistics.ConfidenceInterval.Margin,
            allocatedBytes = r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase),
        }).ToList();
        File.WriteAllText(Path.Combine(output, "micro.json"), JsonSerializer.Serialize(rows, Indented));
        Console.WriteLine($"Wrote {Path.Combine(output, "micro.json")} ({rows.Count} benchmarks)");
        return summaries.Any(s => s.HasCriticalValidationErrors) || rows.Count == 0 ? 1 : 0;
    }
}
