using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace AdoptionEvents.Hosting.Database;

public sealed record LocalClusterOptions
{
    /// <summary>Folder that holds the cluster (pgdata/), its log and its port file.</summary>
    public required string Directory { get; init; }

    /// <summary>Loopback port; 0 picks a free one on first start and keeps it in the folder.</summary>
    public int Port { get; init; }

    /// <summary>Throw-away cluster for tests: durability off, folder deleted when stopped.</summary>
    public bool Ephemeral { get; init; }

    /// <summary>Folder with initdb and pg_ctl; null searches PATH, then /usr/lib/postgresql/*/bin.</summary>
    public string? BinDirectory { get; init; }

    public string Database { get; init; } = "adoption_events";

    /// <summary>More postgresql.conf lines, written when the cluster is made (the benchmark harness preloads pg_stat_statements).</summary>
    public IReadOnlyList<string> Settings { get; init; } = [];
}

/// <summary>
/// A private PostgreSQL cluster made with the machine's own binaries, listening on loopback only.
/// initdb refuses to run as root, so under root every server command runs as the 'postgres' OS user.
/// </summary>
public sealed class LocalPostgresCluster(LocalClusterOptions options) : IPostgresCandidate
{
    private const string DebianRoot = "/usr/lib/postgresql";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private readonly string _dataDirectory = Path.Combine(options.Directory, "pgdata");
    private readonly string _logFile = Path.Combine(options.Directory, "postgres.log");
    private readonly string _portFile = Path.Combine(options.Directory, "port");
    private readonly bool _asRoot = Environment.UserName == "root";

    public string Name => "local PostgreSQL binaries";

    public static string? FindBinaries(string? configured = null)
    {
        static bool HasServer(string dir) =>
            File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));

        if (configured is not null)
        {
            return HasServer(configured) ? configured : null;
        }

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(HasServer);
        if (onPath is not null)
        {
            return onPath;
        }

        if (!System.IO.Directory.Exists(DebianRoot))
        {
            return null;
        }

        return System.IO.Directory.GetDirectories(DebianRoot)
            .Select(dir => (dir, version: decimal.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var v) ? v : 0m))
            .OrderByDescending(x => x.version)
            .Select(x => Path.Combine(x.dir, "bin"))
            .FirstOrDefault(HasServer);
    }

    public async Task<CandidateResult> TryProvisionAsync(CancellationToken ct)
    {
        var bin = FindBinaries(options.BinDirectory);
        if (bin is null)
        {
            return CandidateResult.Declined(options.BinDirectory is null
                ? $"no initdb and pg_ctl on PATH or in {DebianRoot}/*/bin"
                : $"no initdb and pg_ctl in {options.BinDirectory}");
        }

        System.IO.Directory.CreateDirectory(options.Directory);
        if (_asRoot)
        {
            await RunAsync("chown", ["-R", "postgres:postgres", options.Directory], asPostgres: false, ct);
        }

        var fresh = !File.Exists(Path.Combine(_dataDirectory, "PG_VERSION"));
        if (fresh)
        {
            await InitAsync(bin, ct);
        }

        var (port, adopted) = await StartAsync(bin, ct);
        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = port, Username = "postgres", Database = options.Database,
        }.ConnectionString;
        await EnsureDatabaseAsync(connectionString, ct);

        var what = options.Ephemeral ? "a throw-away cluster" : "the private cluster";
        if (adopted)
        {
            // Running already: another instance of the app on this folder, or one that did not stop cleanly. It is not ours to stop.
            return CandidateResult.Served(new ProvisionedDatabase(connectionString,
                $"{what} in {options.Directory} on 127.0.0.1:{port}, already running (left running when this process stops)"));
        }

        return CandidateResult.Served(new ProvisionedDatabase(
            connectionString,
            $"{what} in {options.Directory} on 127.0.0.1:{port} (binaries: {bin}){(fresh ? ", created now" : "")}",
            () => new ValueTask(StopAsync(bin))));
    }

    private async Task InitAsync(string bin, CancellationToken ct)
    {
        var init = await RunAsync(Path.Combine(bin, "initdb"),
            ["-D", _dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"], asPostgres: true, ct);
        if (init.ExitCode != 0 && _asRoot && init.Output.Contains("Permission denied", StringComparison.Ordinal))
        {
            throw new StartupConfigurationException(
                $"The 'postgres' OS user (initdb refuses to run as root) cannot reach {_dataDirectory}: " +
                "choose a folder every parent of which it may enter (Database:Local:Directory), or run as another user.");
        }

        if (init.ExitCode != 0)
        {
            throw new StartupConfigurationException(
                $"initdb failed in {_dataDirectory} (exit {init.ExitCode}): {init.Output.Trim()}");
        }

        var settings = new List<string>
        {
            "listen_addresses = '127.0.0.1'",
            "unix_socket_directories = ''",
            "max_connections = 200",
        };
        if (options.Ephemeral)
        {
            settings.AddRange(["fsync = off", "synchronous_commit = off", "full_page_writes = off"]);
        }

        settings.AddRange(options.Settings);

        await File.AppendAllLinesAsync(Path.Combine(_dataDirectory, "postgresql.conf"), settings, ct);
    }

    private async Task<(int Port, bool Adopted)> StartAsync(string bin, CancellationToken ct)
    {
        var pgCtl = Path.Combine(bin, "pg_ctl");
        var status = await RunAsync(pgCtl, ["-D", _dataDirectory, "status"], asPostgres: true, ct);
        if (status.ExitCode == 0 && ReadRunningPort() is { } runningPort)
        {
            return (runningPort, true);
        }

        var port = ChoosePort();
        var start = await RunAsync(pgCtl,
            ["-D", _dataDirectory, "-l", _logFile, "-w", "-t", "60", "-o", $"-p {port}", "start"], asPostgres: true, ct);
        if (start.ExitCode != 0)
        {
            var log = File.Exists(_logFile) ? string.Join(Environment.NewLine, File.ReadLines(_logFile).TakeLast(5)) : "";
            throw new StartupConfigurationException(
                $"The local PostgreSQL cluster in {_dataDirectory} did not start on port {port}: {start.Output.Trim()} {log}".Trim());
        }

        return (port, false);
    }

    private int ChoosePort()
    {
        if (options.Port != 0)
        {
            if (!IsFree(options.Port))
            {
                throw new StartupConfigurationException(
                    $"Port {options.Port} (Database:Local:Port) is already in use on 127.0.0.1: " +
                    "stop what uses it or configure another port (0 picks a free one).");
            }

            return options.Port;
        }

        if (File.Exists(_portFile) && int.TryParse(File.ReadAllText(_portFile).Trim(), CultureInfo.InvariantCulture, out var kept) && IsFree(kept))
        {
            return kept;
        }

        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        File.WriteAllText(_portFile, port.ToString(CultureInfo.InvariantCulture));
        return port;
    }

    private int? ReadRunningPort()
    {
        // postmaster.pid line 4 holds the port the running server listens on.
        var pidFile = Path.Combine(_dataDirectory, "postmaster.pid");
        var lines = File.Exists(pidFile) ? File.ReadAllLines(pidFile) : [];
        return lines.Length > 3 && int.TryParse(lines[3], CultureInfo.InvariantCulture, out var port) ? port : null;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private async Task EnsureDatabaseAsync(string connectionString, CancellationToken ct)
    {
        var admin = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync(ct);
        await using var exists = new NpgsqlCommand("select 1 from pg_database where datname = $1", connection)
        {
            Parameters = { new() { Value = options.Database } },
        };
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            await using var create = new NpgsqlCommand($"create database \"{options.Database}\"", connection);
            await create.ExecuteNonQueryAsync(ct);
        }
    }

    private async Task StopAsync(string bin)
    {
        await RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", _dataDirectory, "-m", "fast", "-w", "stop"], asPostgres: true, CancellationToken.None);
        if (options.Ephemeral)
        {
            System.IO.Directory.Delete(options.Directory, recursive: true);
        }
    }

    private async Task<(int ExitCode, string Output)> RunAsync(string file, string[] arguments, bool asPostgres, CancellationToken ct)
    {
        var info = new ProcessStartInfo
        {
            FileName = asPostgres && _asRoot ? "runuser" : file,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres && _asRoot)
        {
            foreach (var a in (string[])["-u", "postgres", "--", file])
            {
                info.ArgumentList.Add(a);
            }
        }

        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new StartupConfigurationException($"Could not run {file}.");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(CommandTimeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stderr + await stdout);
    }
}
