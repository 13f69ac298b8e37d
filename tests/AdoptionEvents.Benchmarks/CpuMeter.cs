using System.Globalization;

namespace AdoptionEvents.Benchmarks;

/// <summary>Seconds of CPU over a phase: the API's, PostgreSQL's and the broker's (null when not on this machine or not
/// known), and the harness's own (its clients and its RabbitMQ consumer).</summary>
public sealed record CpuSpent(double Api, double? Postgres, double? Broker, double Harness);

/// <summary>
/// CPU time spent over a phase by the API process, the PostgreSQL cluster (the postmaster and its children),
/// the RabbitMQ node (its Erlang VM) and the harness, from /proc/PID/stat. On a shared 2-core machine a
/// throughput figure moves with whatever else runs; CPU per command does not, so it is what tells one build
/// from another, and the four together show where the two cores went.
/// </summary>
public sealed class CpuMeter
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux.
    private readonly int _api;
    private readonly int? _postmaster;
    private readonly int? _broker;
    private readonly CpuSpent _start;

    public CpuMeter(int apiPid, string? dataDirectory, int? brokerPid)
    {
        _api = apiPid;
        _postmaster = Postmaster(dataDirectory);
        _broker = brokerPid;
        _start = Read();
    }

    /// <summary>Seconds of CPU since the meter started.</summary>
    public CpuSpent Elapsed()
    {
        var now = Read();
        return new CpuSpent(now.Api - _start.Api, now.Postgres - _start.Postgres, now.Broker - _start.Broker, now.Harness - _start.Harness);
    }

    private CpuSpent Read() => new(
        Seconds(_api) ?? 0,
        _postmaster is { } postmaster ? Cluster(postmaster) : null,
        _broker is { } broker ? Seconds(broker) : null,
        Environment.CpuUsage.TotalTime.TotalSeconds);

    private static double Cluster(int postmaster)
    {
        var postgres = Seconds(postmaster) ?? 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var pid) && pid != postmaster && Parent(pid) == postmaster)
            {
                postgres += Seconds(pid) ?? 0;
            }
        }

        return postgres;
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
