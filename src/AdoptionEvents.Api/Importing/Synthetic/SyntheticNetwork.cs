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

/// <summary>The network-wide figures the generator is built to meet exactly at scale 1 (first AHSN licence).</summary>
public sealed record HeadlineFigures(int InnovationsSpread, int LocationsLive, long PatientsBenefiting, long JobsCreated, long InvestmentLeveraged)
{
    public static readonly HeadlineFigures FirstLicence = new(200, 11_000, 6_000_000, 500, 330_000_000);

    public HeadlineFigures Times(int scale) =>
        new(InnovationsSpread * scale, LocationsLive * scale, PatientsBenefiting * scale, JobsCreated * scale, InvestmentLeveraged * scale);
}

/// <summary>
/// Deterministic synthetic journeys at network scale: the NHS's 7 regions, 15 Health Innovation
/// Networks and 42 ICBs with their trusts, community providers and GP practices; per innovation an
/// origin, an S-curve of go-lives, declines, discontinuations, barriers by theme, domino chains,
/// funding and cumulative metrics. At scale 1 the data meets <see cref="HeadlineFigures.FirstLicence"/>
/// exactly under the network-figure definitions (README, "Importing and demo data"): journeys with a
/// site other than the origin live at the end; distinct (innovation, site) pairs whose last state is
/// live or sustained; the sums of each innovation's latest cumulative patients_benefiting, jobs_created
/// and investment_leveraged. No sites_live metric is emitted, so site events are the only count of sites.
/// Same scale and seed, same data: System.Random with the seed, no clock.
/// </summary>
public static class SyntheticNetwork
{
    public const int DefaultSeed = 2018;
    public const double LastDate = 2025.95;

    /// <summary>The recorded-at stamp written into generated export files.</summary>
    public static readonly DateTimeOffset RecordedAt = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly (string Name, int Icbs)[] Regions =
    [
        ("London", 5), ("South East", 6), ("South West", 7), ("East of England", 6), ("Midlands", 11), ("North East and Yorkshire", 4), ("North West", 3),
    ];

    private static readonly (string Name, string Region)[] Hins =
    [
        ("Health Innovation East", "East of England"), ("Health Innovation East Midlands", "Midlands"), ("Health Innovation Kent Surrey Sussex", "South East"),
        ("Health Innovation Manchester", "North West"), ("Health Innovation North East and North Cumbria", "North East and Yorkshire"),
        ("Health Innovation North West Coast", "North West"), ("Health Innovation Oxford and Thames Valley", "South East"), ("Health Innovation Network South London", "London"),
        ("Health Innovation South West", "South West"), ("Health Innovation Wessex", "South East"), ("Health Innovation West Midlands", "Midlands"),
        ("Health Innovation West of England", "South West"), ("Health Innovation Yorkshire and Humber", "North East and Yorkshire"), ("UCLPartners", "London"),
        ("Health Innovation North West London", "London"),
    ];

    private static readonly string[] Conditions =
    [
        "atrial fibrillation", "COPD", "type 2 diabetes", "heart failure", "hypertension", "osteoarthritis", "sepsis", "chronic liver disease", "asthma",
        "dementia", "frailty", "depression", "chronic kidney disease", "stroke", "falls", "pressure ulcers", "medication safety", "maternity care",
    ];

    private static readonly (string Type, string Noun, string Setting)[] Kinds =
    [
        ("service_model", "pathway", "community"), ("digital", "app", "primary care"), ("device", "device", "acute"), ("diagnostic", "test", "primary care"),
        ("safety_practice", "checklist", "acute"), ("clinical_standard", "score", "acute"), ("workforce_model", "team model", "primary care"), ("medicine", "medicines review", "primary care"),
    ];

    private static readonly string[] DominoKinds = ["diagnostic_shift", "treatment_shift", "capacity_shift", "staff_role_change", "patient_role_change", "setting_shift", "pathway_redesign", "information_flow_change"];

    private static readonly string[] StopReasons = ["non-recurrent funding ended", "lead clinician left", "replaced by a local alternative", "IT system changed"];

    private static readonly string[] DeclineReasons = ["no implementation funding", "evidence not persuasive here", "competing priorities", "poor fit with local pathway"];

    private sealed record Site(Guid Id, string Name, int Icb);

    /// <summary>Placeholders for required members; <c>Add</c> sets the real date and provenance.</summary>
    private static class Pending
    {
        public static readonly PartialDate Date = new() { Value = "2000", Precision = DatePrecision.Year };
        public static readonly Provenance Provenance = new() { Basis = Basis.Illustrative };
    }

    private sealed class Network
    {
        public List<ImportedOrganisation> Organisations { get; } = [];

        public List<Site> Trusts { get; } = [];

        public List<Site> Practices { get; } = [];

        public List<Guid> HinOfIcb { get; } = [];

        public List<string> HinNames { get; } = [];
    }

    public static ImportBatch Generate(int scale = 1, int seed = DefaultSeed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        var random = new Random(seed);
        var network = BuildNetwork();
        var target = HeadlineFigures.FirstLicence.Times(scale);
        var spread = target.InnovationsSpread;
        var notSpread = 15 * scale;
        var total = spread + notSpread;

        // Journeys that did not spread: even ones are live at their origin only, odd ones nowhere.
        var originOnly = Enumerable.Range(0, notSpread).Count(i => i % 2 == 0);
        var others = Partition(random, target.LocationsLive - originOnly - spread, spread, minimum: 1, spread: 1.2);
        var liveCounts = Enumerable.Range(0, total).Select(i => i < spread ? 1 + others[i] : (i - spread) % 2 == 0 ? 1 : 0).ToArray();
        var reaching = Enumerable.Range(0, total).Where(i => liveCounts[i] > 0).ToArray();
        var patients = Partition(random, target.PatientsBenefiting, reaching.Length, minimum: 50, spread: 0.8, weights: reaching.Select(i => (double)liveCounts[i]).ToArray());
        var withJobs = Enumerable.Range(0, spread).Where(_ => random.NextDouble() < 0.4).ToArray();
        var jobs = Partition(random, target.JobsCreated, withJobs.Length, minimum: 1, spread: 0.9);
        var withInvestment = Enumerable.Range(0, spread).Where(_ => random.NextDouble() < 0.6).ToArray();
        var investment = Partition(random, target.InvestmentLeveraged / 1000, withInvestment.Length, minimum: 50, spread: 1.0);

        var journeys = new List<ImportedJourney>(total);
        for (var i = 0; i < total; i++)
        {
            var p = Array.IndexOf(reaching, i);
            var j = Array.IndexOf(withJobs, i);
            var v = Array.IndexOf(withInvestment, i);
            journeys.Add(new JourneyBuilder(random, network, $"synthetic/{seed}/{scale}/{i + 1:D6}", i + 1).Build(
                spreads: i < spread,
                live: liveCounts[i],
                patients: p >= 0 ? patients[p] : 0,
                jobs: j >= 0 ? jobs[j] : 0,
                investment: v >= 0 ? investment[v] * 1000 : 0));
        }

        return new ImportBatch("synthetic", network.Organisations, journeys, []);
    }

    /// <summary>Splits a total into n integer parts of at least the minimum, log-normally skewed; the parts add up exactly.</summary>
    private static long[] Partition(Random random, long total, int n, long minimum, double spread, double[]? weights = null)
    {
        if (n == 0)
        {
            return [];
        }

        var w = Enumerable.Range(0, n).Select(i => (weights?[i] ?? 1) * Math.Exp(spread * Normal(random))).ToArray();
        var median = w.Order().ElementAt(n / 2);
        w = [.. w.Select(x => Math.Min(x, 40 * median))];
        var sum = w.Sum();
        var free = total - (minimum * n);
        var parts = w.Select(x => minimum + (long)Math.Floor(free * x / sum)).ToArray();
        var remainder = total - parts.Sum();
        var order = Enumerable.Range(0, n).OrderByDescending(i => (free * w[i] / sum) - Math.Floor(free * w[i] / sum)).ThenBy(i => i).ToArray();
        for (var k = 0; remainder > 0; k = (k + 1) % n, remainder--)
        {
            parts[order[k]]++;
        }

        return parts;
    }

    private static int[] Partition(Random random, int total, int n, int minimum, double spread) =>
        [.. Partition(random, (long)total, n, minimum, spread).Select(x => (int)x)];

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static Network BuildNetwork()
    {
        var network = new Network();
        ImportedOrganisation Add(string name, OrganisationKind kind, string code, params Guid[] parents)
        {
            var o = new ImportedOrganisation(DeterministicId.Organisation(name), name, kind, "synthetic network") { Code = code, MemberOf = parents, MemberSince = new DateOnly(2022, 7, 1) };
            network.Organisations.Add(o);
            return o;
        }

        var regions = Regions.Select((r, i) => Add($"NHS England {r.Name}", OrganisationKind.NhsRegion, $"Y{56 + i}")).ToList();
        var hins = Hins.Select((h, i) => Add(h.Name, OrganisationKind.Hin, $"HIN{i + 1:D2}", regions[Array.FindIndex(Regions, r => r.Name == h.Region)].Id)).ToList();
        network.HinNames.AddRange(Hins.Select(h => h.Name));
        var icb = 0;
        for (var r = 0; r < Regions.Length; r++)
        {
            var regionHins = hins.Where((_, i) => Hins[i].Region == Regions[r].Name).ToList();
            for (var k = 0; k < Regions[r].Icbs; k++, icb++)
            {
                var hin = regionHins[k % regionHins.Count];
                var board = Add($"NHS {Regions[r].Name} Synthetic Integrated Care Board {k + 1}", OrganisationKind.Icb, $"Q{icb + 1:D2}", regions[r].Id, hin.Id);
                network.HinOfIcb.Add(hin.Id);
                for (var t = 1; t <= 5; t++)
                {
                    var trust = Add($"Synthetic ICB {icb + 1:D2} Hospitals NHS Trust {t}", OrganisationKind.Trust, $"R{icb + 1:D2}{t}", board.Id);
                    network.Trusts.Add(new Site(trust.Id, trust.Name, icb));
                }

                var community = Add($"Synthetic ICB {icb + 1:D2} Community Health Services", OrganisationKind.CommunityProvider, $"C{icb + 1:D2}", board.Id);
                network.Trusts.Add(new Site(community.Id, community.Name, icb));
                for (var g = 1; g <= 150; g++)
                {
                    var practice = Add($"Synthetic ICB {icb + 1:D2} GP practice {g:D3}", OrganisationKind.GpPractice, $"P{icb + 1:D2}{g:D3}", board.Id);
                    network.Practices.Add(new Site(practice.Id, practice.Name, icb));
                }
            }
        }

        return network;
    }

    /// <summary>One journey: events collected with an exact decimal time, then put in time order (causes first on ties).</summary>
    private sealed class JourneyBuilder(Random random, Network network, string key, int number)
    {
        private readonly List<(double At, ImportedEvent Event)> _events = [];
        private readonly Guid _innovationId = DeterministicId.For(key);
        private int _counter;

        public ImportedJourney Build(bool spreads, int live, long patients, long jobs, long investment)
        {
            var kind = Kinds[random.Next(Kinds.Length)];
            var condition = Conditions[random.Next(Conditions.Length)];
            var name = $"{char.ToUpperInvariant(condition[0])}{condition[1..]} {kind.Noun} #{number:D5}";
            var start = 2005 + (random.NextDouble() * 13);
            var extras = spreads ? (int)Math.Round(live * (0.04 + (random.NextDouble() * 0.12))) + 1 : 1 + random.Next(3);
            var pool = live + extras + 1 <= 150 && kind.Setting == "acute" ? network.Trusts : network.Practices;
            var sites = Sample(pool, live + extras + 1);
            var origin = sites[0];
            var hin = network.HinOfIcb[origin.Icb];

            var need = Add(start - 1, Year, new NeedIdentified { OccurredAt = Pending.Date, Provenance = Pending.Provenance, Need = $"Variation in {condition} care", Condition = condition, OrganisationId = origin.Id });
            var registered = Add(start, Year, new InnovationRegistered
            {
                OccurredAt = Pending.Date, Provenance = Pending.Provenance,
                Name = name, InnovationType = kind.Type, Conditions = [condition], CareSettings = [kind.Setting], Originators = [$"{origin.Name} clinical team"], OriginOrganisationId = origin.Id,
            }, need);
            Add(start, Year, new FundingSecured { OccurredAt = Pending.Date, Provenance = Pending.Provenance, Funder = "National Institute for Health and Care Research", Purpose = "development", Amount = Gbp(50_000 + (random.Next(40) * 5_000)) }, registered);
            var pilot = Add(start + 0.2, Month, new PilotStarted { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = origin.Id, Description = "first cohort at the origin" }, registered);
            var evidence = Add(start + 0.9, Month, new EvidenceRecorded { OccurredAt = Pending.Date, Provenance = Pending.Provenance, EvidenceType = random.NextDouble() < 0.3 ? "rct" : "service_evaluation", Finding = "improved outcomes in the pilot cohort" }, pilot);
            Add(start + 1, Year, new SupportOrganisationEngaged { OccurredAt = Pending.Date, Provenance = Pending.Provenance, Organisation = network.HinNames[network.Organisations.FindIndex(o => o.Id == hin) - 7], OrganisationId = hin, Role = "adoption and spread" }, evidence);

            var liveEvents = new List<(double At, Guid Id, Guid Site)>();
            var origins = live > 0;
            if (origins)
            {
                var decided = Add(start + 0.95, Month, new AdoptionDecided { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = origin.Id, Outcome = AdoptionOutcome.Adopt, DecisionLevel = DecisionLevel.Organisation, Reason = "pilot results" }, evidence);
                liveEvents.Add((start + 1.1, Add(start + 1.1, Month, new ServiceWentLive { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = origin.Id }, decided), origin.Id));
            }
            else
            {
                Add(start + 0.95, Month, new AdoptionConsidered { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = origin.Id, By = "clinical governance committee" }, evidence);
            }

            var midpoint = Math.Min(start + 2 + (random.NextDouble() * 5), 2022);
            var width = 0.4 + (random.NextDouble() * 0.8);
            double Curve() => Math.Clamp(midpoint + (width * Math.Log(random.NextDouble() is var u && u is > 0 and < 1 ? u / (1 - u) : 1)), start + 1.5, LastDate - 0.2);

            var launch = Math.Max(midpoint - 1.5, start + 1);
            if (live > 150)
            {
                Add(launch, Month, new SpreadProgrammeLaunched { OccurredAt = Pending.Date, Provenance = Pending.Provenance, Programme = $"{name} national adoption programme", Scope = ProgrammeScope.National, Lead = "AHSN Network", Partners = ["NHS England"] }, evidence);
            }
            else if (live > 20)
            {
                Add(launch, Month, new SpreadProgrammeLaunched { OccurredAt = Pending.Date, Provenance = Pending.Provenance, Programme = $"{name} regional spread", Scope = ProgrammeScope.Regional, Lead = network.HinNames[0] }, evidence);
            }

            var adopters = sites.Skip(1).ToList();
            var stillLive = live - (origins ? 1 : 0);
            var stopped = spreads ? Math.Max(0, (extras - 1) / 2) : (number % 2 == 0 ? 1 : 0);
            var index = 0;
            for (var k = 0; k < stillLive; k++, index++)
            {
                var at = Curve();
                var site = adopters[index];
                var decided = Add(at - 0.1 - (random.NextDouble() * 0.4), Month, new AdoptionDecided { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = site.Id, Outcome = AdoptionOutcome.Adopt, DecisionLevel = DecisionLevel.Organisation });
                var before = decided;
                if (random.NextDouble() < 0.4)
                {
                    before = Add(at - 0.08, Month, new ImplementationStarted { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = site.Id }, decided);
                }

                if (k < 3 && origins)
                {
                    Add(at - 0.09, Month, new KnowledgeShared { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = origin.Id, ToSiteId = site.Id, How = "site visit" }, decided);
                }

                var went = Add(at, Month, new ServiceWentLive { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = site.Id }, before);
                liveEvents.Add((at, went, site.Id));
                if (at < 2023 && random.NextDouble() < 0.3)
                {
                    Add(Math.Min(at + 2, LastDate), Month, new SustainmentConfirmed { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = site.Id, Evidence = "two years of activity data" }, went);
                }
            }

            for (var k = 0; k < stopped; k++, index++)
            {
                var at = Math.Min(Curve(), LastDate - 0.6);
                var site = adopters[index];
                var decided = Add(at - 0.2, Month, new AdoptionDecided { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = site.Id, Outcome = AdoptionOutcome.Adopt });
                var went = Add(at, Month, new ServiceWentLive { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = site.Id }, decided);
                Add(Math.Min(at + 0.5 + (random.NextDouble() * 2.5), LastDate), Month, new AdoptionDiscontinued { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = site.Id, Reason = StopReasons[random.Next(StopReasons.Length)] }, went);
            }

            for (; index < adopters.Count; index++)
            {
                var at = Curve();
                var considered = Add(at - 0.3, Month, new AdoptionConsidered { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = adopters[index].Id });
                Add(at, Month, new AdoptionDecided { OccurredAt = Pending.Date, Provenance = Pending.Provenance, SiteId = adopters[index].Id, Outcome = AdoptionOutcome.Decline, Reason = DeclineReasons[random.Next(DeclineReasons.Length)] }, considered);
            }

            Barriers(start, sites);
            Dominoes(liveEvents);
            Metrics(start, liveEvents, patients, jobs, investment);
            if (investment > 0)
            {
                Add(midpoint, Year, new FundingSecured { OccurredAt = Pending.Date, Provenance = Pending.Provenance, Funder = "NHS England", Purpose = "implementation", Amount = Gbp(Math.Round(investment * 0.2m / 1000) * 1000) });
            }

            var ordered = _events.Select((e, i) => (e, i)).OrderBy(x => x.e.At).ThenBy(x => x.i).Select(x => x.e.Event).ToList();
            return new ImportedJourney(_innovationId, key, name, ordered);
        }

        private void Barriers(double start, List<Site> sites)
        {
            var count = 1 + random.Next(4);
            for (var b = 0; b < count; b++)
            {
                var code = Vocabulary.BarrierCodes[random.Next(Vocabulary.BarrierCodes.Count)].Code;
                var at = start + 1 + (random.NextDouble() * 6);
                var site = random.NextDouble() < 0.5 ? sites[random.Next(sites.Count)] : null;
                var barrier = Add(at, Month, new BarrierEncountered
                {
                OccurredAt = Pending.Date, Provenance = Pending.Provenance,
                    Code = code, Scope = site is null ? BarrierScope.Innovation : BarrierScope.Site, SiteId = site?.Id,
                    Severity = (Severity)random.Next(3), Description = $"{Vocabulary.BarrierCodes.First(c => c.Code == code).Label} (synthetic)",
                });
                if (random.NextDouble() < 0.5)
                {
                    Add(at + 0.5 + random.NextDouble(), Month, new BarrierResolved { OccurredAt = Pending.Date, Provenance = Pending.Provenance, BarrierEventId = barrier, How = "addressed with the HIN's support" }, barrier);
                }
            }
        }

        private void Dominoes(List<(double At, Guid Id, Guid Site)> liveEvents)
        {
            if (liveEvents.Count < 2 || random.NextDouble() < 0.4)
            {
                return;
            }

            for (var c = 0; c < 1 + random.Next(2); c++)
            {
                var (at, cause, _) = liveEvents[random.Next(liveEvents.Count)];
                var kind = DominoKinds[random.Next(DominoKinds.Length)];
                var when = Math.Min(at + 0.2 + random.NextDouble(), LastDate);
                var change = Add(when, Month, new DominoChangeObserved
                {
                OccurredAt = Pending.Date, Provenance = Pending.Provenance,
                    Kind = kind, Target = $"{kind.Replace('_', ' ')} after go-live", Direction = Direction.Increase,
                    Desirability = random.NextDouble() < 0.7 ? Desirability.Desirable : Desirability.Mixed, Anticipation = Anticipation.Unanticipated,
                }, cause);
                var next = Math.Min(when + 0.3, LastDate);
                var follow = random.Next(3) switch
                {
                    0 => Add(next, Month, new NewNeedRevealed { OccurredAt = Pending.Date, Provenance = Pending.Provenance, Need = "patients found who need a follow-up service" }, change),
                    1 => Add(next, Month, new RoleChanged { OccurredAt = Pending.Date, Provenance = Pending.Provenance, Who = RoleHolder.Staff, Role = "practice nurse", Change = "takes on the new checks" }, change),
                    _ => Add(next, Month, new PathwayChanged { OccurredAt = Pending.Date, Provenance = Pending.Provenance, Pathway = "referral pathway", Change = "direct access from primary care" }, change),
                };
                if (random.NextDouble() < 0.3)
                {
                    Add(Math.Min(next + 0.5, LastDate), Month, new DominoChangeObserved { OccurredAt = Pending.Date, Provenance = Pending.Provenance, Kind = "capacity_shift", Target = "downstream clinic demand", Direction = Direction.Increase, Desirability = Desirability.Undesirable }, follow);
                }
            }
        }

        private void Metrics(double start, List<(double At, Guid Id, Guid Site)> liveEvents, long patients, long jobs, long investment)
        {
            if (patients > 0)
            {
                var first = (int)Math.Floor(liveEvents.Min(e => e.At)) + 1;
                var years = Enumerable.Range(first, Math.Max(1, 2025 - first + 1)).ToList();
                for (var y = 0; y < years.Count; y++)
                {
                    var value = y == years.Count - 1 ? patients : (long)Math.Floor(patients * Math.Pow((y + 1.0) / years.Count, 1.5));
                    Metric(Math.Min(years[y] + 0.9, LastDate), "patients_benefiting", value, "people");
                }
            }

            if (jobs > 0)
            {
                if (jobs > 1)
                {
                    Metric(Math.Min(start + 4, 2023.5), "jobs_created", jobs / 2, "count");
                }

                Metric(LastDate, "jobs_created", jobs, "count");
            }

            if (investment > 0)
            {
                Metric(Math.Min(start + 3, 2022.5), "investment_leveraged", investment / 2000 * 1000, "GBP");
                Metric(LastDate, "investment_leveraged", investment, "GBP");
            }
        }

        private void Metric(double at, string metric, long value, string unit) =>
            Add(at, Month, new MetricObserved
            {
                OccurredAt = Pending.Date, Provenance = Pending.Provenance,
                Metric = metric, Value = value, Unit = unit, Cumulative = true, Scope = MeasureScope.Innovation,
                Definition = "synthetic: cumulative to date", ReportedBy = "synthetic generator",
            });

        private List<Site> Sample(List<Site> pool, int count)
        {
            // A partial Fisher-Yates shuffle over indices: distinct sites, deterministic for the seed.
            var indices = Enumerable.Range(0, pool.Count).ToArray();
            var picked = new List<Site>(count);
            for (var i = 0; i < Math.Min(count, pool.Count); i++)
            {
                var j = i + random.Next(pool.Count - i);
                (indices[i], indices[j]) = (indices[j], indices[i]);
                picked.Add(pool[indices[i]]);
            }

            return picked;
        }

        private Guid Add(double at, Func<double, PartialDate> date, JourneyEvent fact, params Guid[] causes)
        {
            var id = DeterministicId.For($"{key}/{++_counter}");
            var provenance = new Provenance { Basis = Basis.Illustrative, Sources = [new SourceReference { Id = "SYNTHETIC", Locator = key }] };
            _events.Add((at, new ImportedEvent(id, fact with { InnovationId = _innovationId, OccurredAt = date(at), Provenance = provenance, CausedBy = causes }, $"{key}#{_counter}")));
            return id;
        }

    }
}
