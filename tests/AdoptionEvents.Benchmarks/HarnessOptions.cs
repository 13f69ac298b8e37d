using System.Globalization;

namespace AdoptionEvents.Benchmarks;

/// <summary>What one run measures and at what size; every option has the issue 9 default.</summary>
public sealed record HarnessOptions
{
    public static readonly IReadOnlyList<string> AllPaths = ["a", "b", "c", "d", "e", "f"];

    public int Scale { get; init; } = 10;

    public int Sites { get; init; } = 5_000;

    public int Events { get; init; } = 50_000;

    public int Concurrency { get; init; } = 32;

    public TimeSpan CommandDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>c's untimed warm-up at the same load, before the timed run and its CPU and memory meters.</summary>
    public TimeSpan CommandWarmUp { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>c.rate: commands offered at this fixed rate, each timed from when it was due (0: not run).</summary>
    public int CommandRate { get; init; } = 1_000;

    public TimeSpan RateDuration { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>c.rate's untimed first seconds at the same rate: the client opens the connections it needs beyond c's.</summary>
    public TimeSpan RateWarmUp { get; init; } = TimeSpan.FromSeconds(3);

    public int AsOfRuns { get; init; } = 10;

    /// <summary>Whether c, e and f run with a broker (the relay then publishes every event of c and c.rate); off measures the command path without it, and f is not run.</summary>
    public bool Broker { get; init; } = true;

    public int LagCommands { get; init; } = 200;

    public TimeSpan LagInterval { get; init; } = TimeSpan.FromMilliseconds(25);

    /// <summary>Longest wait for b (import and catch-up) and d (all rebuilds); past it the path is reported incomplete with its progress.</summary>
    public TimeSpan ImportBox { get; init; } = TimeSpan.FromSeconds(210);

    public TimeSpan RebuildBox { get; init; } = TimeSpan.FromSeconds(150);

    /// <summary>Timed as-of requests stop starting after this long (at least one runs).</summary>
    public TimeSpan AsOfBox { get; init; } = TimeSpan.FromSeconds(30);

    public IReadOnlySet<string> Only { get; init; } = new HashSet<string>(AllPaths);

    public string Output { get; init; } = "benchmark-results";

    public string? Commit { get; init; }

    public string? ApiDll { get; init; }

    public bool Runs(string path) => Only.Contains(path);

    /// <summary>The synthetic network is loaded for a, b and d; the large journey for every path (b imports both).</summary>
    public bool NeedsNetwork => Runs("a") || Runs("b") || Runs("d");

    public bool NeedsApi => Runs("b") || Runs("c") || Runs("d") || Runs("e") || Runs("f");

    public static HarnessOptions Parse(string[] args)
    {
        var options = new HarnessOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            options = args[i] switch
            {
                "--scale" => options with { Scale = Int() },
                "--sites" => options with { Sites = Int() },
                "--events" => options with { Events = Int() },
                "--concurrency" => options with { Concurrency = Int() },
                "--command-seconds" => options with { CommandDuration = TimeSpan.FromSeconds(Int()) },
                "--command-warm-up-seconds" => options with { CommandWarmUp = TimeSpan.FromSeconds(Int()) },
                "--command-rate" => options with { CommandRate = Int() },
                "--rate-seconds" => options with { RateDuration = TimeSpan.FromSeconds(Int()) },
                "--rate-warm-up-seconds" => options with { RateWarmUp = TimeSpan.FromSeconds(Int()) },
                "--as-of-runs" => options with { AsOfRuns = Int() },
                "--lag-commands" => options with { LagCommands = Int() },
                "--lag-interval-ms" => options with { LagInterval = TimeSpan.FromMilliseconds(Int()) },
                "--import-box-seconds" => options with { ImportBox = TimeSpan.FromSeconds(Int()) },
                "--rebuild-box-seconds" => options with { RebuildBox = TimeSpan.FromSeconds(Int()) },
                "--as-of-box-seconds" => options with { AsOfBox = TimeSpan.FromSeconds(Int()) },
                "--broker" => options with { Broker = Next() switch { "on" => true, "off" => false, var v => throw new ArgumentException($"--broker takes on or off, not {v}") } },
                "--only" => options with { Only = Paths(Next()) },
                "--out" => options with { Output = Next() },
                "--commit" => options with { Commit = Next() },
                "--api-dll" => options with { ApiDll = Next() },
                _ => throw new ArgumentException($"unknown option {args[i]} (see deploy/scripts/benchmarks.sh)"),
            };
        }

        return options;
    }

    private static HashSet<string> Paths(string list)
    {
        var paths = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => p.ToLowerInvariant()).ToHashSet();
        var unknown = paths.Except(AllPaths).Except(["m"]).ToList();
        return unknown.Count == 0 ? paths : throw new ArgumentException($"--only takes paths among a,b,c,d,e,f (and m for the micro benchmarks), not {string.Join(",", unknown)}");
    }
}
