using AdoptionEvents.Hosting.Database;
using Npgsql;

namespace AdoptionEvents.UnitTests.Hosting;

public class StoreConnectionTests
{
    private const string Provisioned = "Host=localhost;Port=5432;Database=adoption_events;Username=app";

    [Fact]
    public void The_store_prepares_its_statements_automatically_by_default()
    {
        var store = new NpgsqlConnectionStringBuilder(new DatabaseSettings().ForStore(Provisioned));

        (store.MaxAutoPrepare, store.AutoPrepareMinUsages).ShouldBe((100, 2));
        (store.Host, store.Database, store.Username).ShouldBe(("localhost", "adoption_events", "app"));
    }

    [Fact]
    public void A_connection_string_that_sets_automatic_preparation_keeps_its_own_figure()
    {
        var store = new NpgsqlConnectionStringBuilder(new DatabaseSettings().ForStore(Provisioned + ";Max Auto Prepare=7"));

        store.MaxAutoPrepare.ShouldBe(7);
    }

    [Fact]
    public void Automatic_preparation_set_to_zero_is_left_off_for_poolers_in_transaction_mode()
    {
        var store = new NpgsqlConnectionStringBuilder(new DatabaseSettings { MaxAutoPrepare = 0 }.ForStore(Provisioned));

        store.MaxAutoPrepare.ShouldBe(0);
    }

    [Fact]
    public void Pooled_connections_are_reset_on_return_by_default_and_go_back_without_it_when_asked()
    {
        new NpgsqlConnectionStringBuilder(new DatabaseSettings().ForStore(Provisioned)).NoResetOnClose.ShouldBeFalse();
        new NpgsqlConnectionStringBuilder(new DatabaseSettings { ResetConnectionsOnReturn = false }.ForStore(Provisioned)).NoResetOnClose.ShouldBeTrue();
    }

    [Theory]
    [InlineData("No Reset On Close=false", false)]
    [InlineData("NoResetOnClose=true", true)]
    public void A_connection_string_that_says_whether_to_reset_is_followed(string setting, bool noReset)
    {
        new NpgsqlConnectionStringBuilder(new DatabaseSettings().ForStore($"{Provisioned};{setting}")).NoResetOnClose.ShouldBe(noReset);
        new NpgsqlConnectionStringBuilder(new DatabaseSettings { ResetConnectionsOnReturn = false }.ForStore($"{Provisioned};{setting}")).NoResetOnClose.ShouldBe(noReset);
    }
}
