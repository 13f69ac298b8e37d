namespace AdoptionEvents.Hosting.Database;

/// <summary>
/// A PostgreSQL server the application can use, and what it takes to stop it.
/// Disposing stops servers this process started; a configured server is left alone.
/// </summary>
public sealed class ProvisionedDatabase(string connectionString, string source, Func<ValueTask>? stop = null)
    : IAsyncDisposable
{
    public string ConnectionString { get; } = connectionString;

    /// <summary>Which provider served, in words for the log ("configured connection string", ...).</summary>
    public string Source { get; } = source;

    public ValueTask DisposeAsync() => stop?.Invoke() ?? ValueTask.CompletedTask;
}

/// <summary>One way of getting a PostgreSQL server; it either serves or says why not.</summary>
public interface IPostgresCandidate
{
    string Name { get; }

    Task<CandidateResult> TryProvisionAsync(CancellationToken ct);
}

public sealed record CandidateResult(ProvisionedDatabase? Database, string? WhyNot)
{
    public static CandidateResult Served(ProvisionedDatabase database) => new(database, null);

    public static CandidateResult Declined(string whyNot) => new(null, whyNot);
}

/// <summary>Raised when configuration or the environment cannot give the application a database.
/// The message is written for the person at the terminal; the host prints it alone, without a stack trace.</summary>
public sealed class StartupConfigurationException(string message, Exception? inner = null) : Exception(message, inner);
