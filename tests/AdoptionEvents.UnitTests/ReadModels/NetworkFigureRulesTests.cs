using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Measures;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.ReadModels.NetworkFigures;
using AdoptionEvents.ReadModels.SiteRegister;

namespace AdoptionEvents.UnitTests.ReadModels;

public class NetworkFigureRulesTests
{
    private static readonly Guid A = Guid.CreateVersion7();
    private static readonly Guid B = Guid.CreateVersion7();
    private static readonly Guid OriginOfA = Guid.CreateVersion7();

    private static PartialDate Y(int y) => new() { Value = y.ToString(System.Globalization.CultureInfo.InvariantCulture), Precision = DatePrecision.Year };

    private static SiteAdoption Site(Guid innovation, Guid site, params (SiteState State, int Year)[] transitions) => new()
    {
        InnovationId = innovation, SiteId = site, State = transitions[^1].State,
        Transitions = [.. transitions.Select(t => new Transition(t.State, Y(t.Year), Guid.CreateVersion7()))],
    };

    private static ObservedMetric Metric(Guid innovation, string metric, decimal value, int year, bool cumulative = true, string unit = "count",
        MeasureScope scope = MeasureScope.Innovation, Guid? organisation = null, bool retracted = false) => new()
    {
        Id = Guid.CreateVersion7(), InnovationId = innovation, Metric = metric, Value = value, Unit = unit, Cumulative = cumulative,
        Scope = scope, ScopeOrganisationId = organisation, OccurredAt = Y(year), Midpoint = Y(year).Midpoint, Retracted = retracted,
    };

    private static readonly Dictionary<Guid, Guid?> Origins = new() { [A] = OriginOfA, [B] = null };

    [Fact]
    public void Where_site_events_and_observed_counts_overlap_each_innovation_counts_the_larger_never_the_sum()
    {
        SiteAdoption[] sites =
        [
            Site(A, OriginOfA, (SiteState.Adopting, 2010), (SiteState.Live, 2011)),
            Site(A, Guid.CreateVersion7(), (SiteState.Adopting, 2012), (SiteState.Live, 2013)),
            Site(B, Guid.CreateVersion7(), (SiteState.Adopting, 2012), (SiteState.Live, 2013), (SiteState.Discontinued, 2015)),
        ];
        ObservedMetric[] observed = [Metric(A, "sites_live", 1, 2014), Metric(B, "sites_live", 30, 2014), Metric(B, "sites_live", 40, 2016)];

        var figures = NetworkFigureRules.Count(new DateOnly(2020, 1, 1), null, sites, observed, Origins, _ => true);

        figures.LocationsLive.ShouldBe(2 + 40);
        figures.InnovationsSpread.ShouldBe(1);
    }

    [Fact]
    public void As_of_an_earlier_date_only_what_had_happened_counts()
    {
        SiteAdoption[] sites = [Site(B, Guid.CreateVersion7(), (SiteState.Adopting, 2012), (SiteState.Live, 2013), (SiteState.Discontinued, 2015))];

        NetworkFigureRules.Count(new DateOnly(2014, 1, 1), null, sites, [], Origins, _ => true).InnovationsSpread.ShouldBe(1);
        NetworkFigureRules.Count(new DateOnly(2016, 1, 1), null, sites, [], Origins, _ => true).InnovationsSpread.ShouldBe(0);
    }

    [Fact]
    public void Outcome_figures_take_the_latest_cumulative_value_plus_period_values_and_skip_retractions()
    {
        ObservedMetric[] observed =
        [
            Metric(A, "patients_benefiting", 300, 2014), Metric(A, "patients_benefiting", 2489, 2015),
            Metric(B, "patients_benefiting", 1000, 2015), Metric(B, "patients_benefiting", 9999, 2016, retracted: true),
            Metric(A, "jobs_created", 3, 2016, cumulative: false), Metric(A, "jobs_created", 4, 2019, cumulative: false),
            Metric(A, "investment_leveraged", 1_000_000, 2016, unit: "GBP"), Metric(A, "investment_leveraged", 5, 2016, unit: "EUR"),
            Metric(B, "savings", 250_000, 2017, unit: "GBP"),
        ];

        var figures = NetworkFigureRules.Count(new DateOnly(2020, 1, 1), new DateOnly(2018, 1, 1), [], observed.Where(o => !o.Retracted).ToList(), Origins, _ => true);

        figures.ShouldBe(new Figures(0, 0, 2489 + 1000, 4, 1_000_000, 250_000));
    }

    [Fact]
    public void A_regional_scope_counts_only_observations_of_its_member_organisations()
    {
        var region = Guid.CreateVersion7();
        ObservedMetric[] observed =
        [
            Metric(A, "patients_benefiting", 500, 2016, scope: MeasureScope.Region, organisation: region),
            Metric(A, "patients_benefiting", 900, 2017, scope: MeasureScope.Region, organisation: Guid.CreateVersion7()),
            Metric(A, "patients_benefiting", 5000, 2017),
        ];
        Func<ObservedMetric, bool> inRegion = o => o.ScopeOrganisationId == region;

        NetworkFigureRules.Count(new DateOnly(2020, 1, 1), null, [], observed, Origins, inRegion).PatientsBenefiting.ShouldBe(500);
    }

    [Fact]
    public void Nationally_an_innovation_wide_figure_covers_its_regional_parts_and_is_not_added_to_them()
    {
        var region = Guid.CreateVersion7();
        ObservedMetric[] observed =
        [
            Metric(A, "patients_benefiting", 1200, 2017, scope: MeasureScope.Region, organisation: region),
            Metric(A, "patients_benefiting", 33000, 2017),
            Metric(B, "patients_benefiting", 100, 2017, scope: MeasureScope.Region, organisation: region),
            Metric(B, "patients_benefiting", 50, 2017, scope: MeasureScope.Site, organisation: Guid.CreateVersion7()),
        ];

        NetworkFigureRules.Count(new DateOnly(2020, 1, 1), null, [], observed, Origins, _ => true).PatientsBenefiting.ShouldBe(33000 + 150);
    }
}
