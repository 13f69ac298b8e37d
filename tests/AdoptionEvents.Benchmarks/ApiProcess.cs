using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace AdoptionEvents.Benchmarks;

/// <summary>How the API child process is configured: by environment variables only, as an operator would.</summary>
public sealed record ApiSettings(string Dll, string ConnectionString, string Schema, string SigningKey, string? RabbitMqUri, string LogDirectory)
{
    public const string Exchange = "adoption-events";

    public Dictionary<string, string?> Environment(int port) => new()
    {
        ["ConnectionStrings__AdoptionEvents"] = ConnectionString,
        ["Database__Schema"] = Schema,
        ["Demo__LoadWhenEmpty"] = "false",
        ["Authentication__DevelopmentSigningKey"] = SigningKey,
        ["RateLimiting__PermitLimit"] = "100000000",
        ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        // On unless the caller's environment says otherwise (to compare the daemon polling with being woken per commit).
        ["Integration__WakeDaemonOnAppend"] = System.Environment.GetEnvironmentVariable("Integration__WakeDaemonOnAppend") ?? "true",
        ["Integration__RabbitMq__Uri"] = RabbitMqUri ?? "",
        ["Integration__RabbitMq__Exchange"] = Exchange,
        ["Logging__LogLevel__Default"] = "Warning",
        // As the image runs it (deploy/Dockerfile): the framework JIT-compiled at full optimisation, not its precompiled code.
        // DOTNET_ReadyToRun=1 in the caller's environment measures the precompiled code instead.
        ["DOTNET_ReadyToRun"] = System.Environment.GetEnvironmentVariable("DOTNET_ReadyToRun") ?? "0",
        // The builder's one line per build names where its time went (its phases and processor time).
        ["Logging__LogLevel__AdoptionEvents.ReadModels.Building"] = "Information",
        // Telemetry export would add work the figures should not carry.
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = null,
    };

    /// <summary>The API built next to this harness (same configuration), found from the repository root.</summary>
    public static string FindDll(string? configured)
    {
        if (configured is not null)
        {
            return Path.GetFullPath(configured);
        }

        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent?.Name ?? "Release";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "AdoptionEvents.Api", "bin", configuration, "net10.0", "AdoptionEvents.Api.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("src/AdoptionEvents.Api/bin/<configuration>/net10.0/AdoptionEvents.Api.dll not found above the harness: build the harness first");
    }
}

/// <summary>
/// The API as a separate process (dotnet AdoptionEvents.Api.dll) on a free loopback port, so commands go
/// through Kestrel and real sockets and its memory can be read from /proc. One at a time: two would run
/// two async daemons on one schema.
/// </summary>
public sealed class ApiProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private ApiProcess(Process process, StreamWriter log, Uri address)
    {
        (_process, _log, Address) = (process, log, address);
    }

    public Uri Address { get; }

    public int Pid => _process.Id;

    public static async Task<ApiProcess> StartAsync(ApiSettings settings, string name, CancellationToken ct)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(settings.Dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(settings.Dll);
        foreach (var (key, value) in settings.Environment(port))
        {
            if (value is null)
            {
                start.Environment.Remove(key);
            }
            else
            {
                start.Environment[key] = value;
            }
        }

        var log = new StreamWriter(Path.Combine(settings.LogDirectory, $"api-{name}.log")) { AutoFlush = true };
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var api = new ApiProcess(process, log, new Uri($"http://127.0.0.1:{port}"));
        try
        {
            await api.WaitReadyAsync(ct);
        }
        catch
        {
            await api.DisposeAsync();
            throw;
        }

        return api;
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }

    /// <summary>A client over real sockets; the pool holds a connection per concurrent caller.</summary>
    public HttpClient Client(string token, int connections = 64) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = TimeSpan.FromMinutes(30) })
        {
            BaseAddress = Address,
            Timeout = TimeSpan.FromMinutes(5),
            DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", token) },
        };

    private async Task WaitReadyAsync(CancellationToken ct)
    {
        using var probe = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromMinutes(3))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the API exited with code {_process.ExitCode} before it was ready; see its log");
            }

            try
            {
                using var response = await probe.GetAsync("/health/ready", ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                // Busy starting.
            }

            await Task.Delay(250, ct);
        }

        throw new TimeoutException("the API was not ready within 3 minutes; see its log");
    }

    /// <summary>Stops the API as an operator would (SIGTERM, so the daemon lets go of its shards), killing it if it does not stop.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
        {
            await term!.WaitForExitAsync();
        }

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            _process.Dispose();
            lock (_log)
            {
                _log.Dispose();
            }
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs the API's command line (e.g. token) with the same configuration; returns the last line it printed.</summary>
    public static async Task<string> CommandAsync(ApiSettings settings, IEnumerable<string> args, CancellationToken ct)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(settings.Dll)!, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(settings.Dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in settings.Environment(FreePort()))
        {
            if (value is null)
            {
                start.Environment.Remove(key);
            }
            else
            {
                start.Environment[key] = value;
            }
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return process.ExitCode == 0 && lines.Length > 0
            ? lines[^1]
            : throw new InvalidOperationException($"AdoptionEvents.Api {string.Join(' ', start.ArgumentList.Skip(1))} failed ({process.ExitCode}): {await output}{await error}");
    }
}

/// <summary>
/// Peak resident memory of a process over a phase: the kernel's high-water mark (VmHWM, reset at the
/// start through /proc/PID/clear_refs) and VmRSS sampled every 100 ms; the larger of the two.
/// </summary>
public sealed class MemorySampler : IAsyncDisposable
{
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _sampledPeak;

    public MemorySampler(int pid)
    {
        _pid = pid;
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
            HighWaterMarkReset = true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            HighWaterMarkReset = false;
        }

        _loop = Task.Run(LoopAsync);
    }

    /// <summary>False when the kernel's peak could not be reset: then only the sampled peak counts.</summary>
    public bool HighWaterMarkReset { get; }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        do
        {
            if (Read("VmRSS") is { } rss)
            {
                _sampledPeak = Math.Max(_sampledPeak, rss);
            }
        }
        while (await timer.WaitForNextTickAsync(_stop.Token).AsTask().ContinueWith(t => !t.IsCanceled && t.Result, TaskScheduler.Default));
    }

    /// <summary>Stops sampling; the peak in bytes.</summary>
    public async Task<long> PeakAsync()
    {
        var hwm = HighWaterMarkReset ? Read("VmHWM") ?? 0 : 0;
        await _stop.CancelAsync();
        await _loop;
        return Math.Max(hwm, _sampledPeak);
    }

    private long? Read(string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_pid}/status"))
            {
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(field.Length + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
            // The process has gone.
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        await _loop;
        _stop.Dispose();
    }
}
