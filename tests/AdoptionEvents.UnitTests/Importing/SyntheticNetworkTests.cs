using AdoptionEvents.Importing;
using AdoptionEvents.Importing.Synthetic;
using AdoptionEvents.Journeys.Measures;

namespace AdoptionEvents.UnitTests.Importing;

public class SyntheticNetworkTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_default_network_meets_the_first_AHSN_licence_figures_exactly()
    {
        var batch = SyntheticNetwork.Generate();

        NetworkFigures.Of(batch.Journeys).ShouldBe(new HeadlineFigures(200, 11_000, 6_000_000, 500, 330_000_000));
        batch.Journeys.Count.ShouldBe(215);
        batch.Journeys.SelectMany(j => j.Events).Select(e => e.Fact).OfType<MetricObserved>().ShouldNotContain(m => m.Metric == "sites_live");
    }

    [Fact]
    public void Every_generated_journey_passes_the_rules_the_API_applies()
    {
        var batch = SyntheticNetwork.Generate();

        ImportValidation.Check(batch, StoreKnowledge.Empty, Now, "generator").ShouldBeEmpty();
    }

    [Fact]
    public void The_same_seed_gives_the_same_data_and_another_seed_other_data()
    {
        var first = SyntheticNetwork.Generate(seed: 7);
        var again = SyntheticNetwork.Generate(seed: 7);
        var other = SyntheticNetwork.Generate(seed: 8);

        again.Journeys.SelectMany(j => j.Events).Select(e => e.Id).ShouldBe(first.Journeys.SelectMany(j => j.Events).Select(e => e.Id));
        Json(again).ShouldBe(Json(first));
        other.Journeys.SelectMany(j => j.Events).Select(e => e.Id).ShouldNotBe(first.Journeys.SelectMany(j => j.Events).Select(e => e.Id));
        NetworkFigures.Of(other.Journeys).ShouldBe(HeadlineFigures.FirstLicence);
    }

    private static List<string> Json(ImportBatch batch) =>
        [.. batch.Journeys.SelectMany(j => j.Events).Select(e => System.Text.Json.JsonSerializer.Serialize(e.Fact, e.Fact.GetType(), AdoptionEvents.Hosting.Json.Options))];

    [Fact]
    public void Scale_ten_multiplies_every_figure_by_ten()
    {
        var batch = SyntheticNetwork.Generate(scale: 10);

        NetworkFigures.Of(batch.Journeys).ShouldBe(HeadlineFigures.FirstLicence.Times(10));
        batch.Journeys.Count.ShouldBe(2_150);
    }

    [Fact]
    public void The_network_has_the_NHS_regions_HINs_and_ICBs()
    {
        var organisations = SyntheticNetwork.Generate().Organisations;

        organisations.Count(o => o.Kind == AdoptionEvents.Organisations.OrganisationKind.NhsRegion).ShouldBe(7);
        organisations.Count(o => o.Kind == AdoptionEvents.Organisations.OrganisationKind.Hin).ShouldBe(15);
        organisations.Count(o => o.Kind == AdoptionEvents.Organisations.OrganisationKind.Icb).ShouldBe(42);
        organisations.Select(o => o.Id).Distinct().Count().ShouldBe(organisations.Count);
    }
}
