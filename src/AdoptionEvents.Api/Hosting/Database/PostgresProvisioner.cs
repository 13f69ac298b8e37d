namespace AdoptionEvents.Hosting.Database;

/// <summary>
/// Tries the candidates in order (a configured connection string, then Docker through Testcontainers,
/// then a private cluster from the local PostgreSQL binaries) and takes the first that serves.
/// </summary>
public static class PostgresProvisioner
{
    public static async Task<ProvisionedDatabase> ProvisionAsync(
        IReadOnlyList<IPostgresCandidate> candidates, ILogger logger, CancellationToken ct)
    {
        var tried = new List<string>();
        foreach (var candidate in candidates)
        {
            var result = await candidate.TryProvisionAsync(ct);
            if (result.Database is { } database)
            {
                logger.LogInformation("PostgreSQL: using {DatabaseSource}", database.Source);
                return database;
            }

            logger.LogDebug("PostgreSQL: {Candidate} not used: {WhyNot}", candidate.Name, result.WhyNot);
            tried.Add($"  - {candidate.Name}: {result.WhyNot}");
        }

        throw new StartupConfigurationException(
            "No PostgreSQL server is available. Tried:" + Environment.NewLine +
            string.Join(Environment.NewLine, tried) + Environment.NewLine +
            "Fix one of them: set ConnectionStrings__AdoptionEvents to a server you run, " +
            "start a Docker engine, or install PostgreSQL (Debian: apt-get install postgresql-15).");
    }
}

/// <summary>A connection string from configuration or the environment, used exactly as given.</summary>
public sealed class ConfiguredConnectionString(string? connectionString, string origin) : IPostgresCandidate
{
    public string Name => $"connection string ({origin})";

    public Task<CandidateResult> TryProvisionAsync(CancellationToken ct) =>
        Task.FromResult(string.IsNullOrWhiteSpace(connectionString)
            ? CandidateResult.Declined("not set")
            : CandidateResult.Served(new ProvisionedDatabase(connectionString, $"the configured connection string ({origin})")));
}
