using AdoptionEvents.Journeys.Measures;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.ReadModels.SiteRegister;

namespace AdoptionEvents.ReadModels.NetworkFigures;

/// <summary>The families the AHSN Network reports.</summary>
public sealed record Figures(int InnovationsSpread, int LocationsLive, decimal PatientsBenefiting, decimal JobsCreated, decimal InvestmentLeveragedGbp, decimal SavingsGbp);

/// <summary>
/// How the headline figures are counted, as of a date, within a scope (every organisation, or one
/// region, HIN or ICB with its members):
/// innovations spread: innovations with a site live or sustained that is not their origin;
/// locations live: per innovation, the larger of its live sites counted from site events and its
/// latest cumulative sites_live observation, never their sum (so a site reported both ways counts once);
/// patients, jobs, investment (GBP), savings (GBP): per innovation, the latest innovation-wide cumulative
/// observation, or where it has none the sum of the latest per scoped organisation (never both), plus
/// non-cumulative observations inside the period; retracted observations
/// are left out, corrected ones count with their corrected value. Imprecise dates count at their midpoint.
/// </summary>
public static class NetworkFigureRules
{
    public static Figures Count(
        DateOnly asOf,
        DateOnly? periodStart,
        IReadOnlyCollection<SiteAdoption> sites,
        IReadOnlyCollection<ObservedMetric> observations,
        IReadOnlyDictionary<Guid, Guid?> originOf,
        Func<ObservedMetric, bool> inScope)
    {
        var liveSites = sites
            .Where(s => StateAt(s, asOf) is SiteState.Live or SiteState.Sustained)
            .ToList();
        var spread = liveSites.Where(s => originOf.GetValueOrDefault(s.InnovationId) != s.SiteId).Select(s => s.InnovationId).Distinct().Count();

        var usable = observations.Where(o => !o.Retracted && o.Midpoint <= asOf && inScope(o)).ToList();
        var observedLive = Latest(usable, "sites_live");
        var locations = liveSites.Select(s => s.InnovationId).Union(observedLive.Keys)
            .Sum(innovation => Math.Max(liveSites.Count(s => s.InnovationId == innovation), (int)observedLive.GetValueOrDefault(innovation)));

        decimal Sum(string metric, string? unit = null)
        {
            var scoped = unit is null ? usable : [.. usable.Where(o => string.Equals(o.Unit, unit, StringComparison.OrdinalIgnoreCase))];
            var cumulative = Latest(scoped, metric).Values.Sum();
            var inPeriod = scoped.Where(o => o.Metric == metric && !o.Cumulative && (periodStart is null || o.Midpoint >= periodStart)).Sum(o => o.Value);
            return cumulative + inPeriod;
        }

        return new Figures(spread, locations, Sum("patients_benefiting"), Sum("jobs_created"), Sum("investment_leveraged", "GBP"), Sum("savings", "GBP"));
    }

    public static SiteState? StateAt(SiteAdoption site, DateOnly asOf) =>
        site.Transitions.LastOrDefault(t => t.OccurredAt.Midpoint <= asOf)?.State;

    /// <summary>
    /// Per innovation: its latest innovation-wide (or national) cumulative value when it has one, since
    /// that covers every part; otherwise the sum of the latest value of each scoped organisation.
    /// </summary>
    private static Dictionary<Guid, decimal> Latest(IEnumerable<ObservedMetric> observations, string metric) =>
        observations
            .Where(o => o.Metric == metric && o.Cumulative)
            .GroupBy(o => o.InnovationId)
            .ToDictionary(g => g.Key, g =>
            {
                var latestPerScope = g
                    .GroupBy(o => o.Scope is MeasureScope.National or MeasureScope.Innovation ? null : o.ScopeOrganisationId)
                    .ToDictionary(s => s.Key ?? Guid.Empty, s => s.OrderBy(o => o.Midpoint).ThenBy(o => o.Id).Last().Value);
                return latestPerScope.TryGetValue(Guid.Empty, out var whole) ? whole : latestPerScope.Values.Sum();
            });
}
