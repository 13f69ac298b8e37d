using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Domino;
using AdoptionEvents.Journeys.Evidence;
using AdoptionEvents.Journeys.Levers;
using AdoptionEvents.Journeys.Measures;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.Resources;
using AdoptionEvents.Journeys.SiteAdoption;
using AdoptionEvents.Organisations;

using static AdoptionEvents.Importing.Synthetic.SyntheticValues;

namespace AdoptionEvents.Importing.Synthetic;

/// <summary>
/// One deterministic innovation journey of a given size (issue 9: 5,000 sites, 50,000 events): the
/// journey the command path and the as-of replay are measured on. Every site is a registered
/// organisation (trusts and GP practices under synthetic ICBs of one region) and walks legal
/// transitions of <see cref="SiteTransitions"/> on an S-curve of go-lives from 2014 to 2025; the rest
/// of the events are what a national programme records around them (staff trained, site and
/// innovation metrics, adaptations, barriers and their resolution, knowledge shared, usage dropping,
/// commissioning, domino changes, engagement), each placed in a window where the site's state allows
/// it, so the file passes <see cref="ImportValidation"/>. Dates run from 2011 to the end of 2025, so an
/// as-of by date cuts the journey anywhere. Same arguments, same data: System.Random with the seed, no clock.
/// </summary>
public static class LargeJourney
{
    public const int DefaultSites = 5_000;
    public const int DefaultEvents = 50_000;
    public const int DefaultSeed = 2019;
    private const double Start = 2012.0;
    private const double LastDate = 2025.95;
    private const double Gap = 0.002;

    private static readonly string[] Roles = ["practice nurse", "healthcare assistant", "pharmacist", "GP", "consultant", "specialist nurse", "administrator"];
    private static readonly string[] Components = ["recall letter", "referral criteria", "patient leaflet", "clinic template", "follow-up interval", "data extract"];
    private static readonly string[] SiteMetrics = ["patients_benefiting", "staff_trained", "detection_rate", "treatment_rate"];
    private static readonly string[] DeclineReasons = ["no implementation funding", "evidence not persuasive here", "competing priorities", "poor fit with local pathway"];
    private static readonly string[] StopReasons = ["non-recurrent funding ended", "lead clinician left", "replaced by a local alternative", "IT system changed"];
    private static readonly string[] DominoKinds = ["diagnostic_shift", "treatment_shift", "capacity_shift", "staff_role_change", "setting_shift", "pathway_redesign"];

    /// <summary>The organisations named by a journey of this many sites: one region, one HIN, ICBs of up to 150 sites, and the sites.</summary>
    public static IReadOnlyList<ImportedOrganisation> Organisations(int sites)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sites, 1);
        var organisations = new List<ImportedOrganisation>(sites + 2 + (sites / 150) + 1);
        ImportedOrganisation Add(string name, OrganisationKind kind, string code, params Guid[] parents)
        {
            var o = new ImportedOrganisation(DeterministicId.Organisation(name), name, kind, "large journey") { Code = code, MemberOf = parents, MemberSince = new DateOnly(2010, 4, 1) };
            organisations.Add(o);
            return o;
        }

        var region = Add("NHS England Large Journey Region", OrganisationKind.NhsRegion, "YLJ");
        var hin = Add("Health Innovation Large Journey", OrganisationKind.Hin, "HINLJ", region.Id);
        ImportedOrganisation? icb = null;
        for (var s = 0; s < sites; s++)
        {
            if (s % 150 == 0)
            {
                icb = Add($"Large Journey Integrated Care Board {(s / 150) + 1:D3}", OrganisationKind.Icb, $"QLJ{(s / 150) + 1:D3}", region.Id, hin.Id);
            }

            var (kind, label) = s % 150 < 5 ? (OrganisationKind.Trust, "Hospitals NHS Trust") : (OrganisationKind.GpPractice, "GP practice");
            Add($"Large Journey {label} {s + 1:D5}", kind, $"LJ{s + 1:D5}", icb!.Id);
        }

        return organisations;
    }

    /// <summary>The journey with exactly <paramref name="events"/> events over exactly <paramref name="sites"/> sites, and the organisations it names.</summary>
    public static ImportBatch Generate(int sites = DefaultSites, int events = DefaultEvents, int seed = DefaultSeed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sites, 2);
        var organisations = Organisations(sites);
        var siteIds = organisations.Where(o => o.Kind is OrganisationKind.Trust or OrganisationKind.GpPractice).Select(o => o.Id).ToList();
        var key = $"large/{seed}/{sites}/{events}";
        var journey = new Builder(new Random(seed), key, organisations[1].Id, siteIds).Build(events);
        return new ImportBatch("synthetic", organisations, [journey], []);
    }

    /// <summary>One site's milestones, as the windows extra events may fall in.</summary>
    private sealed record SiteLine(int Index, Guid Id, double Decided, double Live, double End, double LiveEnd, Guid WentLive)
    {
        public bool Committed => !double.IsNaN(Decided);

        public bool WasLive => !double.IsNaN(Live);
    }

    /// <summary>Placeholders for required members; <c>Add</c> sets the real date and provenance.</summary>
    private static class Pending
    {
        public static readonly PartialDate Date = new() { Value = "2000", Precision = DatePrecision.Year };
        public static readonly Provenance Provenance = new() { Basis = Basis.Illustrative };
    }

    private sealed class Builder(Random random, string key, Guid hin, List<Guid> sites)
    {
        private readonly List<(double At, ImportedEvent Event)> _events = [];
        private readonly Guid _innovationId = DeterministicId.For(key);
        private int _counter;

        public ImportedJourney Build(int total)
        {
            const string name = "Atrial fibrillation detection national programme (large synthetic journey)";
            var origin = sites[0];
            var need = Add(Start - 0.5, Year, new NeedIdentified { OccurredAt = Pending.Date, Provenance = Pending.Provenance, Need = "Undetected atrial fibrillation causes avoidable strokes", Condition = "atrial fibrillation", OrganisationId = origin });
            var registered = Add(Start, Year, new InnovationRegistered
            {
                OccurredAt = Pending.Date, Provenance = Pending.Provenance,
                Name = name, InnovationType = "diagnostic", Conditions = ["atrial fibrillation"], CareSettings = ["primary care"], Originators = ["origin practice clinical team"], OriginOrganisationId = origin,
            }, need);
            Add(Start + 0.1, Month, new FundingSecured { OccurredAt = Pending.Date, Provenance = Pending.Provenance, Funder = "National Institute for Health and Care Research", Purpose = "development", Amount = Gbp(250_000) }, registered);
            var pilot = Add(Start + 0.3, Month, new PilotStarted { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = origin, Description = "first cohort at the origin" }, registered);
            var evidence = Add(Start + 1.0, Month, new EvidenceRecorded { OccurredAt = Pending.Date, Provenance = Pending.Provenance, EvidenceType = "rct", Finding = "more AF detected and anticoagulated" }, pilot);
            Add(Start + 1.1, Month, new SupportOrganisationEngaged { OccurredAt = Pending.Date, Provenance = Pending.Provenance, Organisation = "Health Innovation Large Journey", OrganisationId = hin, Role = "adoption and spread" }, evidence);
            var programme = Add(Start + 2.5, Month, new SpreadProgrammeLaunched { OccurredAt = Pending.Date, Provenance = Pending.Provenance, Programme = "national AF detection programme", Scope = ProgrammeScope.National, Lead = "AHSN Network", Partners = ["NHS England"] }, evidence);
            Add(Start + 3.0, Month, new NationalLeverApplied { OccurredAt = Pending.Date, Provenance = Pending.Provenance, Lever = "rapid_uptake_products", Body = "NHS England" }, programme);
            Add(Start + 3.2, Month, new FundingSecured { OccurredAt = Pending.Date, Provenance = Pending.Provenance, Funder = "NHS England", Purpose = "spread", Amount = Gbp(4_000_000) }, programme);

            var lines = new List<SiteLine>(sites.Count) { Walk(0, origin, Start + 1.2, adopt: true) };
            for (var s = 1; s < sites.Count; s++)
            {
                lines.Add(Walk(s, sites[s], Curve(), adopt: null));
            }

            var remaining = total - _events.Count;
            if (remaining < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(total), total, $"{sites.Count} sites need at least {_events.Count} events");
            }

            var committed = lines.Where(l => l.Committed).ToList();
            var live = committed.Where(l => l.WasLive && l.LiveEnd > l.Live + (4 * Gap)).ToList();
            while (remaining > 0)
            {
                remaining -= Extra(committed, live, lines, remaining);
            }

            var ordered = _events.Select((e, i) => (e, i)).OrderBy(x => x.e.At).ThenBy(x => x.i).Select(x => x.e.Event).ToList();
            return new ImportedJourney(_innovationId, key, name, ordered);
        }

        /// <summary>A go-live year on an S-curve centred on 2019, inside the journey's years.</summary>
        private double Curve()
        {
            var u = Math.Clamp(random.NextDouble(), 1e-6, 1 - 1e-6);
            return Math.Clamp(2019.5 + (1.3 * Math.Log(u / (1 - u))), Start + 2.6, LastDate - 0.3);
        }

        /// <summary>A site's walk through the state machine; adopt null: decided by chance (about 72 % adopt, 12 % decline or defer, the rest still undecided).</summary>
        private SiteLine Walk(int index, Guid site, double at, bool? adopt)
        {
            var roll = random.NextDouble();
            if (random.NextDouble() < 0.5)
            {
                Add(at - 0.7, Month, new AdopterAware { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = site, Channel = "national programme webinar" });
            }

            Guid? considered = adopt is null && random.NextDouble() < 0.7
                ? Add(at - 0.5, Month, new AdoptionConsidered { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = site, By = "practice partners' meeting" })
                : null;
            Guid[] causes = considered is { } c ? [c] : [];
            if (adopt is null && roll >= 0.72)
            {
                if (roll < 0.84)
                {
                    var outcome = roll < 0.79 ? AdoptionOutcome.Decline : AdoptionOutcome.Defer;
                    Add(at - 0.3, Month, new AdoptionDecided { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = site, Outcome = outcome, Reason = DeclineReasons[random.Next(DeclineReasons.Length)] }, causes);
                }
                else if (considered is null)
                {
                    Add(at - 0.5, Month, new AdoptionConsidered { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = site });
                }

                return new SiteLine(index, site, double.NaN, double.NaN, double.NaN, double.NaN, Guid.Empty);
            }

            var decidedAt = at - 0.3;
            var decided = Add(decidedAt, Month, new AdoptionDecided { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = site, Outcome = AdoptionOutcome.Adopt, DecisionLevel = DecisionLevel.Organisation }, causes);
            var before = random.NextDouble() < 0.6
                ? Add(at - 0.15, Month, new ImplementationStarted { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = site }, decided)
                : decided;
            var went = Add(at, Month, new ServiceWentLive { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = site }, before);
            var end = LastDate;
            var liveEnd = LastDate;
            var next = at;
            if (at + 1.5 < LastDate && random.NextDouble() < 0.5)
            {
                next = at + 1 + (random.NextDouble() * 0.5);
                Add(next, Month, new SustainmentConfirmed { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = site, Evidence = "a year of activity data" }, went);
            }

            if (next + 1 < LastDate && random.NextDouble() < 0.06)
            {
                var suspended = next + 0.1 + (random.NextDouble() * 0.5);
                liveEnd = suspended;
                Add(suspended, Month, new AdoptionSuspended { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = site, Reason = "clinic staff redeployed" });
                if (random.NextDouble() < 0.7)
                {
                    next = suspended + 0.3;
                    Add(next, Month, new AdoptionResumed { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = site });
                }
                else
                {
                    next = suspended;
                }
            }

            if (next + 1 < LastDate && random.NextDouble() < 0.08)
            {
                end = next + 0.5 + (random.NextDouble() * (LastDate - next - 0.6));
                liveEnd = Math.Min(liveEnd, end);
                Add(end, Month, new AdoptionDiscontinued { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = site, Reason = StopReasons[random.Next(StopReasons.Length)] }, went);
            }

            return new SiteLine(index, site, decidedAt, at, end, liveEnd, went);
        }

        /// <summary>One or two more events, in a window the site's state allows; returns how many were added.</summary>
        private int Extra(List<SiteLine> committed, List<SiteLine> live, List<SiteLine> all, int remaining)
        {
            var roll = random.Next(100);
            var site = committed[random.Next(committed.Count)];
            var at = Within(site.Decided, site.End);
            switch (roll)
            {
                case < 28:
                    Add(at, Month, new StaffTrained { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = site.Id, Count = 1 + random.Next(12), Role = Roles[random.Next(Roles.Length)] });
                    return 1;
                case < 46 when live.Count > 0:
                    var reporting = live[random.Next(live.Count)];
                    var when = Within(reporting.Live, reporting.End);
                    var metric = SiteMetrics[random.Next(SiteMetrics.Length)];
                    // Cumulative per site: the value only grows with time since go-live.
                    var value = metric.EndsWith("_rate", StringComparison.Ordinal)
                        ? Math.Round((decimal)Math.Min(0.95, 0.3 + ((when - reporting.Live) / 10)), 3)
                        : (decimal)Math.Floor((when - reporting.Live) * (20 + (reporting.Index % 40)));
                    Add(when, Month, new MetricObserved
                    {
                        OccurredAt = Pending.Date, Provenance = Pending.Provenance, Metric = metric, Value = value,
                        Unit = metric.EndsWith("_rate", StringComparison.Ordinal) ? "ratio" : "people", Cumulative = !metric.EndsWith("_rate", StringComparison.Ordinal),
                        Scope = MeasureScope.Site, ScopeOrganisationId = reporting.Id, ReportedBy = "site returns",
                    });
                    return 1;
                case < 51:
                    var year = Within(Start + 2, LastDate);
                    Add(year, Month, new MetricObserved
                    {
                        OccurredAt = Pending.Date, Provenance = Pending.Provenance, Metric = "patients_benefiting",
                        Value = (decimal)Math.Floor(2_000_000 / (1 + Math.Exp(-(year - 2019.5) / 1.3))), Unit = "people", Cumulative = true,
                        Scope = MeasureScope.Innovation, Definition = "synthetic: cumulative to date", ReportedBy = "national programme dashboard",
                    });
                    return 1;
                case < 61:
                    Add(at, Month, new AdaptationMade { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = site.Id, Component = Components[random.Next(Components.Length)], Adaptation = "tailored to the local pathway", CoreComponent = random.NextDouble() < 0.1 });
                    return 1;
                case < 65 when live.Count > 0:
                    var dropping = live[random.Next(live.Count)];
                    Add(Within(dropping.Live, dropping.LiveEnd), Month, new UsageDropped { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = dropping.Id, Metric = "checks_per_month", Detail = "fewer checks after a staff change" });
                    return 1;
                case < 70:
                    Add(at, Month, new CommissioningSecured { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = site.Id, Commissioner = "integrated care board" });
                    return 1;
                case < 76:
                    var to = all[random.Next(all.Count)];
                    if (to.Id == site.Id)
                    {
                        return 0;
                    }

                    Add(at, Month, new KnowledgeShared { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = site.Id, ToSiteId = to.Id, How = "peer site visit" });
                    return 1;
                case < 84:
                    var barrier = Add(at, Month, new BarrierEncountered
                    {
                        OccurredAt = Pending.Date, Provenance = Pending.Provenance,
                        Code = Vocabulary.BarrierCodes[random.Next(Vocabulary.BarrierCodes.Count)].Code, Scope = BarrierScope.Site, SiteId = site.Id,
                        Severity = (Severity)random.Next(3), Description = "met while implementing (synthetic)",
                    });
                    if (remaining >= 2 && at + 0.2 < LastDate && random.NextDouble() < 0.6)
                    {
                        Add(Within(at + 0.1, LastDate), Month, new BarrierResolved { OccurredAt = Pending.Date, Provenance = Pending.Provenance, BarrierEventId = barrier, How = "addressed with the HIN's support" }, barrier);
                        return 2;
                    }

                    return 1;
                case < 87:
                    Add(at, Month, new EnablerObserved { OccurredAt = Pending.Date, Provenance = Pending.Provenance, Theme = Vocabulary.Themes[random.Next(Vocabulary.Themes.Count)].Code, Description = "a local clinical champion" });
                    return 1;
                case < 92:
                    Add(Within(Start + 2, LastDate), Month, new EngagementActivityHeld { OccurredAt = Pending.Date, Provenance = Pending.Provenance, Activity = "regional learning collaborative", Participants = 10 + random.Next(200) });
                    return 1;
                case < 94:
                    Add(Within(Start + 2, LastDate), Month, new EvaluationReported { OccurredAt = Pending.Date, Provenance = Pending.Provenance, Evaluator = "independent evaluation partner", Finding = "uptake sustained where champions exist" });
                    return 1;
                default:
                    var cause = committed[random.Next(committed.Count)];
                    if (!cause.WasLive)
                    {
                        return 0;
                    }

                    var kind = DominoKinds[random.Next(DominoKinds.Length)];
                    Add(Within(cause.Live, LastDate), Month, new DominoChangeObserved
                    {
                        OccurredAt = Pending.Date, Provenance = Pending.Provenance, Kind = kind, Target = $"{kind.Replace('_', ' ')} after go-live",
                        Direction = Direction.Increase, Desirability = random.NextDouble() < 0.7 ? Desirability.Desirable : Desirability.Mixed, Anticipation = Anticipation.Unanticipated,
                    }, cause.WentLive);
                    return 1;
            }
        }

        /// <summary>A time strictly inside (from, to), clear of the milestones at either end.</summary>
        private double Within(double from, double to) => from + Gap + (random.NextDouble() * Math.Max(0, to - from - (2 * Gap)));

        private Guid Add(double at, Func<double, PartialDate> date, JourneyEvent fact, params Guid[] causes)
        {
            var id = DeterministicId.For($"{key}/{++_counter}");
            var provenance = new Provenance { Basis = Basis.Illustrative, Sources = [new SourceReference { Id = "SYNTHETIC", Locator = key }] };
            _events.Add((at, new ImportedEvent(id, fact with { InnovationId = _innovationId, OccurredAt = date(at), Provenance = provenance, CausedBy = causes }, $"{key}#{_counter}")));
            return id;
        }

    }
}
