using AdoptionEvents.Hosting.Database;
using Microsoft.Extensions.Logging.Abstractions;

namespace AdoptionEvents.UnitTests.Hosting;

public class ProvisionerTests
{
    private sealed class Candidate(string name, string? connectionString) : IPostgresCandidate
    {
        public int Calls { get; private set; }

        public string Name => name;

        public Task<CandidateResult> TryProvisionAsync(CancellationToken ct)
        {
            Calls++;
            return Task.FromResult(connectionString is null
                ? CandidateResult.Declined($"{name} is not here")
                : CandidateResult.Served(new ProvisionedDatabase(connectionString, name)));
        }
    }

    private static Task<ProvisionedDatabase> Provision(params IPostgresCandidate[] candidates) =>
        PostgresProvisioner.ProvisionAsync(candidates, NullLogger.Instance, TestContext.Current.CancellationToken);

    [Fact]
    public async Task The_first_candidate_that_serves_wins_and_later_ones_are_not_tried()
    {
        var environment = new Candidate("environment", "Host=env");
        var docker = new Candidate("docker", "Host=docker");
        var local = new Candidate("local", "Host=local");

        var database = await Provision(environment, docker, local);

        database.ConnectionString.ShouldBe("Host=env");
        (docker.Calls, local.Calls).ShouldBe((0, 0));
    }

    [Fact]
    public async Task Docker_is_preferred_to_local_binaries_when_no_connection_string_is_set()
    {
        var database = await Provision(new Candidate("environment", null), new Candidate("docker", "Host=docker"), new Candidate("local", "Host=local"));

        database.Source.ShouldBe("docker");
    }

    [Fact]
    public async Task Local_binaries_serve_when_neither_a_connection_string_nor_docker_does()
    {
        var database = await Provision(new Candidate("environment", null), new Candidate("docker", null), new Candidate("local", "Host=local"));

        database.Source.ShouldBe("local");
    }

    [Fact]
    public async Task When_nothing_serves_the_error_lists_every_attempt_and_how_to_fix_it()
    {
        var error = await Should.ThrowAsync<StartupConfigurationException>(() =>
            Provision(new Candidate("environment", null), new Candidate("docker", null), new Candidate("local", null)));

        error.Message.ShouldContain("environment: environment is not here");
        error.Message.ShouldContain("docker: docker is not here");
        error.Message.ShouldContain("local: local is not here");
        error.Message.ShouldContain("ConnectionStrings__AdoptionEvents");
        error.Message.ShouldContain("install PostgreSQL");
    }

    [Fact]
    public void Auto_configuration_orders_connection_string_then_docker_then_local()
    {
        var candidates = DatabaseSetup.Candidates(new DatabaseSettings(), "Host=x", "/tmp");

        candidates.Select(c => c.GetType()).ShouldBe([typeof(ConfiguredConnectionString), typeof(DockerPostgres), typeof(LocalPostgresCluster)]);
    }

    [Fact]
    public void An_unknown_provider_name_is_refused_with_the_allowed_values()
    {
        var error = Should.Throw<StartupConfigurationException>(() =>
            DatabaseSetup.Candidates(new DatabaseSettings { Provider = "sqlite" }, null, "/tmp"));

        error.Message.ShouldContain("auto, docker or local");
    }
}
