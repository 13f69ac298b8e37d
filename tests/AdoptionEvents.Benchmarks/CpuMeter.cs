using System.Globalization;

namespace AdoptionEvents.Benchmarks;

/// <summary>
/// CPU time spent over a phase by the API process and by the PostgreSQL cluster (the postmaster and its
/// children), from /proc/PID/stat. On a shared 2-core machine a throughput figure moves with whatever
/// else runs; CPU per command does not, so it is what tells one build from another.
/// </summary>
public sealed class CpuMeter
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux.
    private readonly int _api;
    private readonly int? _postmaster;
    private readonly (double Api, double Postgres) _start;

    public CpuMeter(int apiPid, string? dataDirectory)
    {
        _api = apiPid;
        _postmaster = Postmaster(dataDirectory);
        _start = Read();
    }

    /// <summary>Seconds of CPU since the meter started: the API's and PostgreSQL's (null when the cluster is not local).</summary>
    public (double Api, double? Postgres) Elapsed()
    {
        var now = Read();
        return (now.Api - _start.Api, _postmaster is null ? null : now.Postgres - _start.Postgres);
    }

    private (double Api, double Postgres) Read()
    {
        var api = Seconds(_api) ?? 0;
        if (_postmaster is not { } postmaster)
        {
            return (api, 0);
        }

        var postgres = Seconds(postmaster) ?? 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var pid) && pid != postmaster && Parent(pid) == postmaster)
            {
                postgres += Seconds(pid) ?? 0;
            }
        }

        return (api, postgres);
    }

    /// <summary>utime + stime of a process (all its threads), fields 14 and 15 of /proc/PID/stat.</summary>
    private static double? Seconds(int pid) => Fields(pid) is { } f
        ? (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / TicksPerSecond
        : null;

    private static int? Parent(int pid) => Fields(pid) is { } f ? int.Parse(f[1], CultureInfo.InvariantCulture) : null;

    /// <summary>The fields after the command name (which may hold spaces): state is [0], ppid [1], utime [11], stime [12].</summary>
    private static string[]? Fields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static int? Postmaster(string? dataDirectory)
    {
        if (dataDirectory is null || !Directory.Exists(dataDirectory))
        {
            return null;
        }

        var file = Path.Combine(dataDirectory, "postmaster.pid");
        return File.Exists(file) && int.TryParse(File.ReadLines(file).First(), CultureInfo.InvariantCulture, out var pid) ? pid : null;
    }
}
