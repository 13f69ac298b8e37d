using AdoptionEvents.ReadModels.Building;
using JasperFx.Events.Daemon;
using Npgsql;

namespace AdoptionEvents.UnitTests.ReadModels;

public class ShardRecoveryTests
{
    private static PostgresException UniqueViolation(string table) =>
        new("duplicate key value violates unique constraint", "ERROR", "ERROR", PostgresErrorCodes.UniqueViolation, tableName: table);

    [Fact]
    public void A_shard_is_started_again_when_its_progress_was_moved_or_its_first_mark_was_written_by_another()
    {
        ShardRecovery.MovedByAnotherWriter(new ProgressionProgressOutOfOrderException("InnovationSummaries", expectedFloor: 100, ceiling: 150)).ShouldBeTrue();
        ShardRecovery.MovedByAnotherWriter(new InvalidOperationException("the batch failed", UniqueViolation("mt_event_progression"))).ShouldBeTrue();
    }

    [Fact]
    public void Other_failures_are_left_to_the_daemon()
    {
        ShardRecovery.MovedByAnotherWriter(null).ShouldBeFalse();
        ShardRecovery.MovedByAnotherWriter(UniqueViolation("mt_doc_innovationsummary")).ShouldBeFalse();
        ShardRecovery.MovedByAnotherWriter(new TimeoutException("the database went away")).ShouldBeFalse();
    }
}
