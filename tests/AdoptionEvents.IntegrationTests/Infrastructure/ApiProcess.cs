using System.Diagnostics;

namespace AdoptionEvents.IntegrationTests.Infrastructure;

/// <summary>The built API run as a process of its own, as an operator starts it, for what it does before it serves.</summary>
public static class ApiProcess
{
    /// <summary>Starts the API with these environment variables on a loopback port of its own, and waits for it to exit: its exit code and what it wrote to standard error.</summary>
    public static async Task<(int ExitCode, string Error)> RunToExitAsync(IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "AdoptionEvents.Api.dll")])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = AppContext.BaseDirectory,
            Environment = { ["ASPNETCORE_URLS"] = "http://127.0.0.1:0" },
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        _ = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await error);
    }
}
