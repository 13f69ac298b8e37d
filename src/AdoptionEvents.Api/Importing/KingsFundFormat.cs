using System.Text.Json;
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

namespace AdoptionEvents.Importing;

/// <summary>
/// Reads the King's Fund journeys data format (innovations, sources, events with free-form fields) and
/// maps every event to the product's catalogue. The mapping table is in the README ("Importing and demo
/// data"); in short: the data set's types map by name (ReachMeasured to one metric_observed per numeric
/// field), free-text codes map to vocabulary codes with the source's wording kept in Extra, site names
/// become organisations, and a site milestone that the site's state cannot take yet gets the inferred
/// milestones it needs (an adoption decision before a go-live). Pure: no database.
/// </summary>
public static class KingsFundFormat
{
    public const string Format = "kings-fund";
    public const string NotStated = "not stated by the source";

    public static bool Recognises(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("events", out _) && root.TryGetProperty("innovations", out _);

    public static ImportBatch Read(JsonElement root, string dataSet = Format) => new Reader(dataSet).Read(root);

    /// <summary>Numeric ReachMeasured fields and the metric each becomes: (code, unit, cumulative).</summary>
    public static readonly IReadOnlyDictionary<string, (string Metric, string Unit, bool Cumulative)> ReachMetrics =
        new Dictionary<string, (string, string, bool)>
        {
            ["sites"] = ("sites_live", "count", true),
            ["patients"] = ("patients_benefiting", "people", true),
            ["participants"] = ("participants", "people", true),
            ["trained"] = ("staff_trained", "people", true),
            ["orgs"] = ("organisations_live", "count", true),
            ["population"] = ("population_covered", "people", true),
            ["engaged"] = ("practices_engaged", "count", true),
            ["reporting"] = ("reporting_sites", "count", true),
            ["detectionRate"] = ("detection_rate", "ratio", false),
            ["anticoagulationRate"] = ("treatment_rate", "ratio", false),
            ["maintenanceRate"] = ("maintenance_rate", "ratio", false),
            ["strokesAvoided"] = ("events_avoided", "count", true),
        };

    /// <summary>The data set's domino codes (split on "+" and "->") and the domino kinds they mean.</summary>
    public static readonly IReadOnlyDictionary<string, string> DominoCodes = new Dictionary<string, string>
    {
        ["DIAGNOSTIC_SHIFT"] = "diagnostic_shift",
        ["TREATMENT_SHIFT"] = "treatment_shift",
        ["NEW_NEED_REVEALED"] = "new_need_revealed",
        ["CAPACITY_SHIFT"] = "capacity_shift",
        ["ROLE_CHANGE"] = "staff_role_change",
        ["ROLE_CHANGE(PATIENT)"] = "patient_role_change",
        ["ROLE_CHANGE(STAFF)"] = "staff_role_change",
        ["SETTING_SHIFT"] = "setting_shift",
        ["PATHWAY_REDESIGN"] = "pathway_redesign",
        ["INFORMATION_FLOW"] = "information_flow_change",
        ["DERIVATIVE_CHANGE"] = "derivative_innovation",
        ["ORGANISATIONAL_CHANGE"] = "organisational_change",
        ["FINANCIAL_SHIFT"] = "financial_shift",
        ["POLICY_CHANGE"] = "policy_change",
    };

    /// <summary>Words in a barrier category and the taxonomy code they mean, first match wins; then a leading taxonomy code.</summary>
    public static readonly IReadOnlyList<(string Words, string Code)> BarrierWords =
    [
        ("fidelity", "F2"),
        ("budget silo", "D2"),
        ("staff time", "R2"),
        ("resourcing", "R1"),
        ("funding", "R1"),
        ("scepticism", "L2"),
        ("prior failure", "L2"),
        ("interoperability", "D1"),
        ("crowding", "C1"),
        ("downstream demand", "C1"),
        ("sponsor", "L4"),
        ("not invented here", "F3"),
        ("turnover", "R4"),
    ];

    public static string? InnovationTypeCode(string? text) => Keyword(text, Vocabulary.InnovationTypes,
        [("service model", "service_model"), ("safety", "safety_practice"), ("digital", "digital"), ("diagnostic", "diagnostic"),
         ("scoring", "clinical_standard"), ("standard", "clinical_standard"), ("device", "device"), ("medicine", "medicine"), ("workforce", "workforce_model")]);

    public static string? EvidenceTypeCode(string? text) => Keyword(text, Vocabulary.EvidenceTypes,
        [("cluster rct", "cluster_rct"), ("rct", "rct"), ("audit", "audit"), ("pilot", "pilot_results"), ("service evaluation", "service_evaluation"),
         ("service data", "service_data"), ("economic", "economic"), ("qualitative", "qualitative"), ("observational", "observational"), ("systematic", "systematic_review")]);

    public static string? LeverCode(string? text) => Keyword(text, Vocabulary.Levers,
        [("procurement", "national_procurement"), ("regulator", "regulator_letter"), ("strategy", "national_strategy"), ("safety alert", "safety_alert"),
         ("cquin", "cquin"), ("tariff", "tariff_payment"), ("medtech", "medtech_funding_mandate"), ("rapid uptake", "rapid_uptake_products"), ("mandate", "mandate")]);

    public static string? FundingPurposeCode(string? text) => Keyword(text, Vocabulary.FundingPurposes,
        [("develop", "development"), ("pilot", "pilot"), ("implement", "implementation"), ("evaluat", "evaluation"), ("spread", "spread"), ("scale", "spread")]);

    public static string? BarrierCode(string? category)
    {
        if (string.IsNullOrWhiteSpace(category))
        {
            return null;
        }

        var lower = category.ToLowerInvariant();
        foreach (var (words, code) in BarrierWords)
        {
            if (lower.Contains(words, StringComparison.Ordinal))
            {
                return code;
            }
        }

        var lead = category.Split(' ', 2)[0].ToUpperInvariant();
        return Vocabulary.BarrierCodes.Has(lead) ? lead : null;
    }

    public static string? ThemeCode(string? theme) =>
        theme?.Split(' ', 2)[0].ToUpperInvariant() is { } t && Vocabulary.Themes.Has(t) ? t : null;

    /// <summary>The domino kinds a data-set code names (first is the kind, the rest also-kinds), or the token no kind matches.</summary>
    public static (IReadOnlyList<string> Kinds, string? Unknown) DominoKinds(string code)
    {
        var kinds = new List<string>();
        foreach (var token in code.Split(["+", "->"], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var key = token.ToUpperInvariant();
            var kind = DominoCodes.GetValueOrDefault(key) ?? (Vocabulary.DominoKinds.Has(token) ? token : null);
            if (kind is null)
            {
                return ([], token);
            }

            if (!kinds.Contains(kind))
            {
                kinds.Add(kind);
            }
        }

        return kinds.Count == 0 ? ([], code) : (kinds, null);
    }

    /// <summary>An organisation kind guessed from its name; <c>other</c> when nothing fits.</summary>
    public static OrganisationKind KindFromName(string name)
    {
        var n = " " + name.ToLowerInvariant() + " ";
        return n switch
        {
            _ when n.Contains(" icb ", StringComparison.Ordinal) || n.Contains("integrated care board", StringComparison.Ordinal) => OrganisationKind.Icb,
            _ when n.Contains(" ccg", StringComparison.Ordinal) => OrganisationKind.Ccg,
            _ when n.Contains(" pct", StringComparison.Ordinal) => OrganisationKind.Pct,
            _ when n.Contains(" pcn", StringComparison.Ordinal) || n.Contains("primary care network", StringComparison.Ordinal) => OrganisationKind.Pcn,
            _ when n.Contains("ahsn", StringComparison.Ordinal) || n.Contains("health innovation network", StringComparison.Ordinal)
                || n.Contains("innovation agency", StringComparison.Ordinal) || n.Contains(" psc", StringComparison.Ordinal) => OrganisationKind.Hin,
            _ when n.Contains("gp ", StringComparison.Ordinal) || n.Contains("practice", StringComparison.Ordinal) || n.Contains("surgery", StringComparison.Ordinal) => OrganisationKind.GpPractice,
            _ when n.Contains("trust", StringComparison.Ordinal) || n.Contains("nhs ft", StringComparison.Ordinal) || n.Contains("hospital", StringComparison.Ordinal)
                || n.Contains("infirmary", StringComparison.Ordinal) || n.Contains(" ed ", StringComparison.Ordinal) || n.Contains("health board", StringComparison.Ordinal) => OrganisationKind.Trust,
            _ when n.Contains("council", StringComparison.Ordinal) || n.Contains("local authority", StringComparison.Ordinal) => OrganisationKind.LocalAuthority,
            _ when n.Contains("community", StringComparison.Ordinal) => OrganisationKind.CommunityProvider,
            _ => OrganisationKind.Other,
        };
    }

    private static string? Keyword(string? text, IReadOnlyList<Term> vocabulary, (string Words, string Code)[] words)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (vocabulary.Has(text))
        {
            return text;
        }

        var lower = text.ToLowerInvariant();
        foreach (var (w, code) in words)
        {
            if (lower.Contains(w, StringComparison.Ordinal))
            {
                return code;
            }
        }

        return null;
    }

    private sealed record RawEvent(
        string Id, string Innovation, int Seq, string Type, string OccurredAt, string Precision, string Summary,
        string Provenance, IReadOnlyList<string> Sources, IReadOnlyList<string> CausedBy, IReadOnlyDictionary<string, JsonElement> Fields);

    private sealed class Reader(string dataSet)
    {
        private readonly List<ImportProblem> _problems = [];
        private readonly Dictionary<Guid, ImportedOrganisation> _organisations = [];
        private readonly Dictionary<Guid, string> _names = [];
        private Dictionary<string, string> _sources = [];

        public ImportBatch Read(JsonElement root)
        {
            var innovations = new Dictionary<string, (string Name, string? Status)>();
            if (root.TryGetProperty("innovations", out var inn) && inn.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in inn.EnumerateObject())
                {
                    var name = p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
                    if (string.IsNullOrWhiteSpace(name))
                    {
                        Problem($"innovations.{p.Name}", "name", "required", "every innovation needs a name");
                        continue;
                    }

                    var status = p.Value.TryGetProperty("kfStatus", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
                    innovations[p.Name] = (name, status);
                }
            }
            else
            {
                Problem("innovations", "innovations", "required", "the file needs an \"innovations\" object {code: {name, kfStatus}}");
            }

            if (root.TryGetProperty("sources", out var src) && src.ValueKind == JsonValueKind.Object)
            {
                _sources = src.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : "");
            }

            var raw = new List<RawEvent>();
            if (root.TryGetProperty("events", out var events) && events.ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var e in events.EnumerateArray())
                {
                    if (Parse(e, $"events[{i++}]") is { } r)
                    {
                        raw.Add(r);
                    }
                }
            }
            else
            {
                Problem("events", "events", "required", "the file needs an \"events\" array");
            }

            foreach (var dup in raw.GroupBy(r => r.Id).Where(g => g.Count() > 1))
            {
                Problem(dup.Key, "id", "unique-id", $"event id {dup.Key} appears {dup.Count()} times");
            }

            var journeys = new List<ImportedJourney>();
            foreach (var group in raw.GroupBy(r => r.Innovation).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                if (!innovations.TryGetValue(group.Key, out var innovation))
                {
                    foreach (var r in group)
                    {
                        Problem(r.Id, "innovation", "known-innovation", $"innovation '{group.Key}' is not in the innovations map");
                    }

                    continue;
                }

                foreach (var dup in group.GroupBy(r => r.Seq).Where(g => g.Count() > 1))
                {
                    Problem(dup.First().Id, "seq", "unique-seq", $"seq {dup.Key} is used {dup.Count()} times in {group.Key}");
                }

                journeys.Add(new JourneyMapper(this, group.Key, innovation.Name, innovation.Status).Map([.. group.OrderBy(r => r.Seq)]));
            }

            return new ImportBatch(Format, [.. _organisations.Values], journeys, _problems) { Names = _names };
        }

        public string DataSet => dataSet;

        public Guid EventId(string id)
        {
            var guid = DeterministicId.For($"{dataSet}/{id}");
            _names.TryAdd(guid, id);
            return guid;
        }

        public void Problem(string where, string field, string rule, string detail) => _problems.Add(new ImportProblem(where, field, rule, detail));

        public Guid Organisation(string name, string origin)
        {
            var id = DeterministicId.Organisation(name);
            _organisations.TryAdd(id, new ImportedOrganisation(id, name.Trim(), KindFromName(name), origin));
            return id;
        }

        public string? Address(string source) => _sources.GetValueOrDefault(source) is { Length: > 0 } a ? a : null;

        public Provenance Provenance(RawEvent r)
        {
            var basis = r.Provenance switch
            {
                "S" => Basis.Stated,
                "I" => Basis.Inferred,
                "X" => Basis.Illustrative,
                _ => (Basis?)null,
            };
            if (basis is null)
            {
                Problem(r.Id, "provenance", "vocabulary", $"provenance '{r.Provenance}' is not S (stated), I (inferred) or X (illustrative)");
            }

            foreach (var unknown in r.Sources.Where(s => !_sources.ContainsKey(s)))
            {
                Problem(r.Id, "sources", "known-source", $"source '{unknown}' is not in the sources map");
            }

            return new Provenance
            {
                Basis = basis ?? Basis.Inferred,
                Sources = [.. r.Sources.Select(s => new SourceReference { Id = s, Address = Address(s) })],
            };
        }

        private RawEvent? Parse(JsonElement e, string where)
        {
            if (e.ValueKind != JsonValueKind.Object)
            {
                Problem(where, "", "object", "every event is a JSON object");
                return null;
            }

            string? S(string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            IReadOnlyList<string>? L(string name) => !e.TryGetProperty(name, out var v) ? []
                : v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String) ? [.. v.EnumerateArray().Select(x => x.GetString()!)]
                : null;

            var id = S("id");
            var at = id ?? where;
            var ok = true;
            void Require(string name, object? value)
            {
                if (value is null)
                {
                    Problem(at, name, "required", $"{name} is missing or has the wrong JSON type");
                    ok = false;
                }
            }

            int? seq = e.TryGetProperty("seq", out var sq) && sq.ValueKind == JsonValueKind.Number && sq.TryGetInt32(out var sv) ? sv : null;
            var fields = e.TryGetProperty("fields", out var f)
                ? f.ValueKind == JsonValueKind.Object ? f.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone()) : null
                : new Dictionary<string, JsonElement>();
            Require("id", id);
            Require("innovation", S("innovation"));
            Require("seq", seq);
            Require("type", S("type"));
            Require("occurredAt", S("occurredAt"));
            Require("datePrecision", S("datePrecision"));
            Require("provenance", S("provenance"));
            Require("sources", L("sources"));
            Require("causedBy", L("causedBy"));
            Require("fields", fields);
            return ok
                ? new RawEvent(id!, S("innovation")!, seq!.Value, S("type")!, S("occurredAt")!, S("datePrecision")!, S("summary") ?? "",
                    S("provenance")!, L("sources")!, L("causedBy")!, fields!)
                : null;
        }
    }

    /// <summary>Maps one innovation's events, tracking each site's state so inferred milestones come only where needed.</summary>
    private sealed class JourneyMapper(Reader reader, string code, string name, string? status)
    {
        private readonly Dictionary<Guid, SiteState> _sites = [];
        private readonly List<ImportedEvent> _events = [];
        private readonly Guid _innovationId = DeterministicId.For($"{reader.DataSet}/{code}");

        public ImportedJourney Map(IReadOnlyList<RawEvent> raw)
        {
            var hasRegistration = raw.Any(r => r.Type == nameof(InnovationRegistered));
            for (var i = 0; i < raw.Count; i++)
            {
                var r = raw[i];
                var opens = r.Type is nameof(NeedIdentified) or nameof(InnovationRegistered);
                if (i == 0 && !opens)
                {
                    // A journey starts with a need or a registration; the product refuses anything else first.
                    AddInferredRegistration(raw[i], "opening", $"Opened by the import: the data set's first {code} event is {r.Type}, and a journey starts with a need or a registration.");
                    hasRegistration = true;
                }

                MapEvent(r);
                if (i == 0 && !hasRegistration)
                {
                    AddInferredRegistration(r, "registration", $"Registered by the import under the data set's name: the data set has no InnovationRegistered event for {code}.");
                    hasRegistration = true;
                }
            }

            return new ImportedJourney(_innovationId, $"{reader.DataSet}/{code}", name, _events);
        }

        private void AddInferredRegistration(RawEvent r, string suffix, string summary)
        {
            var fact = new InnovationRegistered
            {
                Name = name,
                InnovationType = "other",
                OccurredAt = Date(r),
                Provenance = new Provenance { Basis = Basis.Inferred, Sources = [.. r.Sources.Select(s => new SourceReference { Id = s, Address = reader.Address(s) })] },
                Summary = summary,
                Extra = status is null ? null : new Dictionary<string, JsonElement> { ["kfStatus"] = SourceFields.Element(status) },
            };
            _events.Add(new ImportedEvent(DeterministicId.For($"{reader.DataSet}/{code}/{suffix}"), fact with { InnovationId = _innovationId }, $"{r.Id} ({suffix} inferred)"));
        }

        private PartialDate Date(RawEvent r)
        {
            DatePrecision? precision = r.Precision switch
            {
                "day" => DatePrecision.Day,
                "month" => DatePrecision.Month,
                "quarter" => DatePrecision.Quarter,
                "season" => DatePrecision.Season,
                "year" => DatePrecision.Year,
                "decade" => DatePrecision.Decade,
                "approx" or "approximate" => DatePrecision.Approximate,
                _ => null,
            };
            if (precision is null)
            {
                reader.Problem(r.Id, "datePrecision", "vocabulary", $"datePrecision '{r.Precision}' is not day, month, quarter, season, year, approx or decade");
            }

            return new PartialDate { Value = r.OccurredAt, Precision = precision ?? DatePrecision.Approximate };
        }

        private void MapEvent(RawEvent r)
        {
            var f = new SourceFields(r.Fields);
            var at = Date(r);
            var prov = reader.Provenance(r);
            IReadOnlyList<Guid> causes = [.. r.CausedBy.Select(reader.EventId)];
            var summary = string.IsNullOrWhiteSpace(r.Summary) ? null : r.Summary;
            var text = summary ?? NotStated;
            var extras = new List<KeyValuePair<string, JsonElement>>();

            Guid Site(string? siteName) => siteName is { Length: > 0 }
                ? reader.Organisation(siteName, r.Id)
                : reader.Organisation($"Site not named by the source ({reader.DataSet} {r.Id})", r.Id);
            Guid? Org(string? orgName) => orgName is { Length: > 0 } ? reader.Organisation(orgName, r.Id) : null;

            List<(string? Suffix, JourneyEvent Fact)> produced = r.Type switch
            {
                nameof(NeedIdentified) => [(null, new NeedIdentified { Need = text, Condition = f.Text("condition"), OrganisationId = Org(f.Text("site")), OccurredAt = at, Provenance = prov })],
                nameof(InnovationRegistered) => [(null, Registration(f, at, prov, extras))],
                nameof(VersionReleased) => [(null, new VersionReleased { Version = f.Text("version") ?? text, OccurredAt = at, Provenance = prov })],
                nameof(OwnershipTransferred) => [(null, new OwnershipTransferred { To = f.Peek("toOrg") ?? text, ToOrganisationId = Org(f.Text("toOrg")), Mechanism = f.Text("mechanism"), OccurredAt = at, Provenance = prov })],
                nameof(LicenceGranted) => [(null, new LicenceGranted { Licensee = f.Text("licensee") ?? text, Terms = f.Text("terms"), OccurredAt = at, Provenance = prov })],
                nameof(InnovationSuperseded) => [(null, new InnovationSuperseded { SupersededBy = f.Text("supersededBy") ?? text, OccurredAt = at, Provenance = prov })],
                nameof(InnovationRetired) => [(null, new InnovationRetired { Reason = f.Text("reason") ?? text, OccurredAt = at, Provenance = prov })],
                nameof(PilotStarted) => [(null, new PilotStarted { SiteId = Org(f.Text("site")), Description = f.Text("description"), OccurredAt = at, Provenance = prov })],
                nameof(PilotCompleted) => [(null, new PilotCompleted { SiteId = Org(f.Text("site")), Outcome = f.Text("outcome"), OccurredAt = at, Provenance = prov })],
                nameof(EvidenceRecorded) => [(null, Evidence(f, at, prov))],
                nameof(EvaluationReported) => [(null, new EvaluationReported { Evaluator = f.Text("evaluator") ?? NotStated, Finding = f.Text("finding"), OccurredAt = at, Provenance = prov })],
                nameof(FundingSecured) => [(null, Funding(f, at, prov))],
                nameof(SupportOrganisationEngaged) => [(null, new SupportOrganisationEngaged { Organisation = f.Peek("org") ?? text, OrganisationId = Org(f.Text("org")), Role = f.Text("role"), OccurredAt = at, Provenance = prov })],
                nameof(AwardReceived) => [(null, new AwardReceived { Award = f.Text("award") ?? text, Amount = Gbp(f.Number("amount_gbp")), OccurredAt = at, Provenance = prov })],
                nameof(ExternalRecognitionRecorded) => [(null, new ExternalRecognitionRecorded { Recognition = f.Text("recognition") ?? text, By = f.Text("by"), OccurredAt = at, Provenance = prov })],
                nameof(EngagementActivityHeld) => [(null, new EngagementActivityHeld { Activity = f.Text("activity") ?? text, Participants = f.Integer("participants"), OccurredAt = at, Provenance = prov })],
                nameof(GuidanceIssued) => [(null, new GuidanceIssued { Body = f.Text("body") ?? NotStated, Guidance = f.Text("guidance"), OccurredAt = at, Provenance = prov })],
                nameof(EndorsementIssued) => [(null, new EndorsementIssued { Body = f.Text("body") ?? NotStated, OccurredAt = at, Provenance = prov })],
                nameof(NationalLeverApplied) => [(null, Lever(r, f, at, prov))],
                nameof(PolicySignalIssued) => [(null, new PolicySignalIssued { Signal = f.Text("signal") ?? text, Body = f.Text("body"), OccurredAt = at, Provenance = prov })],
                nameof(TargetSet) => [(null, new TargetSet { Target = f.Text("target") ?? text, Metric = f.Text("metric"), Value = f.Number("value"), OccurredAt = at, Provenance = prov })],
                nameof(SpreadProgrammeLaunched) => [(null, Programme(f, at, prov, text, Org))],
                nameof(AdoptionWaveStarted) => [(null, new AdoptionWaveStarted { Wave = f.Text("wave") ?? text, OccurredAt = at, Provenance = prov })],
                nameof(TechnologyDeployed) => [(null, Technology(f, at, prov, text))],
                nameof(AdoptedFromElsewhere) => [(null, new AdoptedFromElsewhere { Source = f.Text("sourceInnovation") ?? f.Text("source") ?? text, OccurredAt = at, Provenance = prov })],
                nameof(ServiceWentLive) => GoLives(f, at, prov, Site),
                nameof(AdopterAware) => [(null, new AdopterAware { SiteId = Site(SiteName(f)), Channel = f.Text("channel"), OccurredAt = at, Provenance = prov })],
                nameof(AdoptionConsidered) => [(null, new AdoptionConsidered { SiteId = Site(SiteName(f)), By = f.Text("by"), OccurredAt = at, Provenance = prov })],
                nameof(AdoptionDecided) => [(null, Decision(r, f, at, prov, Site))],
                nameof(ImplementationStarted) => [(null, new ImplementationStarted { SiteId = Site(SiteName(f)), OccurredAt = at, Provenance = prov })],
                nameof(AdaptationMade) => [(null, new AdaptationMade { SiteId = Site(SiteName(f)), Component = f.Text("component") ?? NotStated, Adaptation = f.Text("adaptation") ?? text, OccurredAt = at, Provenance = prov })],
                nameof(StaffTrained) => [(null, new StaffTrained { SiteId = Site(SiteName(f)), Count = f.Integer("count") ?? 1, Role = f.Text("role"), OccurredAt = at, Provenance = prov })],
                nameof(CommissioningSecured) => [(null, new CommissioningSecured { SiteId = Site(SiteName(f)), Commissioner = f.IsNumber("commissioners") ? null : f.Text("commissioners") ?? f.Text("commissioner"), OccurredAt = at, Provenance = prov })],
                nameof(UsageDropped) => [(null, new UsageDropped { SiteId = Site(SiteName(f)), Metric = f.Text("metric"), Detail = f.Text("detail"), OccurredAt = at, Provenance = prov })],
                nameof(AdoptionSuspended) => [(null, new AdoptionSuspended { SiteId = Site(SiteName(f)), Reason = f.Text("reason") ?? text, OccurredAt = at, Provenance = prov })],
                nameof(AdoptionResumed) => [(null, new AdoptionResumed { SiteId = Site(SiteName(f)), OccurredAt = at, Provenance = prov })],
                nameof(AdoptionDiscontinued) => [(null, new AdoptionDiscontinued { SiteId = Site(SiteName(f)), Reason = f.Text("reason") ?? text, OccurredAt = at, Provenance = prov })],
                nameof(SustainmentConfirmed) => [(null, new SustainmentConfirmed { SiteId = Site(SiteName(f)), Evidence = f.Text("evidence"), OccurredAt = at, Provenance = prov })],
                nameof(KnowledgeShared) => [(null, new KnowledgeShared { SiteId = Site(f.Text("fromSite") ?? SiteName(f)), ToSiteId = Site(f.Text("toSite")), How = f.Text("how"), OccurredAt = at, Provenance = prov })],
                nameof(BarrierEncountered) => [(null, Barrier(r, f, at, prov, Org))],
                nameof(BarrierResolved) => [(null, Resolution(r, f, at, prov, text))],
                nameof(EnablerObserved) => [(null, Enabler(r, f, at, prov, text))],
                nameof(DominoChangeObserved) => [(null, Domino(r, f, at, prov, text))],
                nameof(NewNeedRevealed) => [(null, new NewNeedRevealed { Need = f.Text("need") ?? text, OccurredAt = at, Provenance = prov })],
                nameof(PathwayChanged) => [(null, new PathwayChanged { Pathway = f.Text("pathway") ?? NotStated, Change = f.Text("change") ?? text, OccurredAt = at, Provenance = prov })],
                nameof(DerivedInnovationLaunched) => [(null, new DerivedInnovationLaunched { Derived = f.Text("derived") ?? text, OccurredAt = at, Provenance = prov })],
                nameof(FundingEnded) => [(null, new FundingEnded { FundingEventId = Ref(r, f, "ends"), Reason = f.Text("reason"), OccurredAt = at, Provenance = prov })],
                nameof(TargetMet) => [(null, new TargetMet { TargetEventId = Ref(r, f, "target"), OccurredAt = at, Provenance = prov })],
                nameof(TargetMissed) => [(null, new TargetMissed { TargetEventId = Ref(r, f, "target"), OccurredAt = at, Provenance = prov })],
                nameof(SpreadProgrammeEnded) => [(null, new SpreadProgrammeEnded { ProgrammeEventId = Ref(r, f, "programme"), OccurredAt = at, Provenance = prov })],
                nameof(CausalLinkAsserted) => [(null, new CausalLinkAsserted { CauseEventId = Ref(r, f, "cause"), EffectEventId = Ref(r, f, "effect"), Rationale = f.Text("rationale"), OccurredAt = at, Provenance = prov })],
                nameof(CausalLinkWithdrawn) => [(null, new CausalLinkWithdrawn { LinkEventId = Ref(r, f, "link"), Reason = f.Text("reason") ?? text, OccurredAt = at, Provenance = prov })],
                nameof(RoleChanged) => [(null, new RoleChanged
                {
                    Who = f.Peek("who")?.Contains("patient", StringComparison.OrdinalIgnoreCase) == true ? RoleHolder.Patient : RoleHolder.Staff,
                    Role = f.Text("role") ?? f.Text("who") ?? NotStated, Change = f.Text("change") ?? text, OccurredAt = at, Provenance = prov,
                })],
                nameof(CoverageMilestoneReached) => [(null, new CoverageMilestoneReached { Milestone = f.Text("milestone") ?? text, Sites = f.Integer("sites"), Share = f.Number("share"), OccurredAt = at, Provenance = prov })],
                nameof(EligiblePopulationDefined) => [(null, new EligiblePopulationDefined { Population = f.Text("population") ?? text, Size = f.Integer("size") ?? 0, Unit = f.Text("unit") ?? "count", OccurredAt = at, Provenance = prov })],
                "ReachMeasured" => Reach(f, at, prov, text),
                _ => Unknown(r),
            };

            if (produced.Count == 0)
            {
                return;
            }

            var extra = f.Rest(extras);
            foreach (var (suffix, fact) in produced)
            {
                var id = suffix is null ? reader.EventId(r.Id) : DeterministicId.For($"{reader.DataSet}/{r.Id}/{suffix}");
                var complete = fact with { InnovationId = _innovationId, CausedBy = causes, Summary = summary, Extra = extra };
                if (complete is SiteEvent site)
                {
                    InferSitePredecessors(r, site, suffix);
                }

                _events.Add(new ImportedEvent(id, complete, suffix is null ? r.Id : $"{r.Id} ({suffix})"));
            }
        }

        /// <summary>
        /// A milestone for a site the data set has not mentioned before may need what the product requires
        /// first (an adoption decision before a go-live; a go-live before a discontinuation). The site
        /// transition rules say what is missing; the import adds it, inferred, and says so in the summary.
        /// </summary>
        private void InferSitePredecessors(RawEvent r, SiteEvent e, string? suffix)
        {
            var current = _sites.TryGetValue(e.SiteId, out var s) ? s : (SiteState?)null;
            var key = $"{r.Id}{(suffix is null ? "" : "/" + suffix)}";
            if (current is null && SiteTransitions.Next(null, e).Refusal is not null)
            {
                var decided = new AdoptionDecided
                {
                    SiteId = e.SiteId,
                    Outcome = AdoptionOutcome.Adopt,
                    InnovationId = _innovationId,
                    OccurredAt = e.OccurredAt,
                    Provenance = new Provenance { Basis = Basis.Inferred, Sources = e.Provenance.Sources },
                    CausedBy = e.CausedBy,
                    Summary = $"Decision to adopt inferred by the import: the data set records {r.Type} at this site ({r.Id}) without a prior adoption decision, and the product refuses that without one.",
                };
                _events.Add(new ImportedEvent(DeterministicId.For($"{reader.DataSet}/{key}/inferred-decision"), decided, $"{r.Id} (inferred decision)"));
                current = SiteState.Adopting;
                if (SiteTransitions.Next(current, e).Refusal is not null && SiteTransitions.Next(current, Live(e)).Refusal is null)
                {
                    var live = Live(e) with
                    {
                        Summary = $"Go-live inferred by the import: the data set records {r.Type} at this site ({r.Id}), which only a site that went live can have.",
                    };
                    _events.Add(new ImportedEvent(DeterministicId.For($"{reader.DataSet}/{key}/inferred-go-live"), live, $"{r.Id} (inferred go-live)"));
                    current = SiteState.Live;
                }
            }

            // The decider will report a transition that still does not fit; this only tracks what it will see.
            var (next, _) = SiteTransitions.Next(current, e);
            if (next is { } n)
            {
                _sites[e.SiteId] = n;
            }
        }

        private static ServiceWentLive Live(SiteEvent e) => new()
        {
            SiteId = e.SiteId,
            InnovationId = e.InnovationId,
            OccurredAt = e.OccurredAt,
            Provenance = new Provenance { Basis = Basis.Inferred, Sources = e.Provenance.Sources },
            CausedBy = e.CausedBy,
        };

        private static string? SiteName(SourceFields f) => f.Text("site") ?? f.Text("adopter") ?? f.Text("org");

        private InnovationRegistered Registration(SourceFields f, PartialDate at, Provenance prov, List<KeyValuePair<string, JsonElement>> extras)
        {
            var typeText = f.Peek("innovationType");
            var type = InnovationTypeCode(typeText) ?? "other";
            f.UseIfSame("innovationType", type);
            if (status is not null)
            {
                extras.Add(new("kfStatus", SourceFields.Element(status)));
            }

            var origin = f.Text("originSite");
            return new InnovationRegistered
            {
                Name = name,
                InnovationType = type,
                Originators = f.Texts("originator") ?? f.Texts("originators") ?? [],
                Conditions = f.Texts("conditions") ?? [],
                CareSettings = f.Texts("careSettings") ?? [],
                OriginOrganisationId = origin is null ? null : reader.Organisation(origin, "originSite"),
                OccurredAt = at,
                Provenance = prov,
            };
        }

        private static EvidenceRecorded Evidence(SourceFields f, PartialDate at, Provenance prov)
        {
            var type = EvidenceTypeCode(f.Peek("evidenceType")) ?? "other";
            f.UseIfSame("evidenceType", type);
            return new EvidenceRecorded { EvidenceType = type, Title = f.Text("title"), Finding = f.Text("finding"), OccurredAt = at, Provenance = prov };
        }

        private static FundingSecured Funding(SourceFields f, PartialDate at, Provenance prov)
        {
            var purpose = FundingPurposeCode(f.Peek("purpose")) ?? "unspecified";
            f.UseIfSame("purpose", purpose);
            return new FundingSecured { Funder = f.Text("funder") ?? NotStated, Purpose = purpose, Amount = Gbp(f.Number("amount_gbp")), OccurredAt = at, Provenance = prov };
        }

        private NationalLeverApplied Lever(RawEvent r, SourceFields f, PartialDate at, Provenance prov)
        {
            var lever = LeverCode(f.Peek("lever"));
            if (lever is null)
            {
                reader.Problem(r.Id, "fields.lever", "vocabulary", $"lever '{f.Peek("lever")}' matches no lever ({Vocabulary.Levers.Codes()})");
            }

            f.UseIfSame("lever", lever);
            return new NationalLeverApplied { Lever = lever ?? "other", Body = f.Text("body"), OccurredAt = at, Provenance = prov };
        }

        private static SpreadProgrammeLaunched Programme(SourceFields f, PartialDate at, Provenance prov, string text, Func<string?, Guid?> org)
        {
            var scopeText = f.Peek("scope")?.ToLowerInvariant();
            var scope = scopeText switch
            {
                null => ProgrammeScope.Regional,
                _ when scopeText.StartsWith("national", StringComparison.Ordinal) => ProgrammeScope.National,
                _ when scopeText.StartsWith("regional", StringComparison.Ordinal) => ProgrammeScope.Regional,
                _ => ProgrammeScope.Local,
            };
            if (scopeText is "national" or "regional" or "local")
            {
                f.Text("scope");
            }

            var lead = f.Peek("org");
            _ = org(f.Text("org"));
            return new SpreadProgrammeLaunched
            {
                Programme = f.Text("programme") ?? text,
                Scope = scope,
                Lead = lead ?? f.Text("lead"),
                Partners = f.Texts("partners") ?? [],
                OccurredAt = at,
                Provenance = prov,
            };
        }

        private static TechnologyDeployed Technology(SourceFields f, PartialDate at, Provenance prov, string text)
        {
            var devices = f.IsNumber("devices") ? f.Integer("devices") : null;
            var named = devices is null ? f.Texts("devices") : null;
            return new TechnologyDeployed
            {
                Technology = f.Text("technology") ?? (named is { Count: > 0 } ? string.Join(", ", named) : text),
                Devices = devices,
                Sites = f.Integer("sites"),
                OccurredAt = at,
                Provenance = prov,
            };
        }

        private static List<(string?, JourneyEvent)> GoLives(SourceFields f, PartialDate at, Provenance prov, Func<string?, Guid> site)
        {
            var names = f.Texts("sites") ?? [SiteName(f)!];
            if (names.Count == 0)
            {
                names = [null!];
            }

            return [.. names.Select((n, i) => (i == 0 ? null : $"site/{n}", (JourneyEvent)new ServiceWentLive { SiteId = site(n), OccurredAt = at, Provenance = prov }))];
        }

        private AdoptionDecided Decision(RawEvent r, SourceFields f, PartialDate at, Provenance prov, Func<string?, Guid> site)
        {
            var outcomeText = f.Peek("outcome");
            AdoptionOutcome? outcome = outcomeText?.ToUpperInvariant() switch
            {
                null or "ADOPT" or "ADOPTED" => AdoptionOutcome.Adopt,
                "DECLINE" or "DECLINED" => AdoptionOutcome.Decline,
                "DEFER" or "DEFERRED" => AdoptionOutcome.Defer,
                _ => null,
            };
            if (outcome is null)
            {
                reader.Problem(r.Id, "fields.outcome", "vocabulary", $"outcome '{outcomeText}' is not ADOPT, DECLINE or DEFER");
            }

            f.Text("outcome");
            return new AdoptionDecided { SiteId = site(SiteName(f)), Outcome = outcome ?? AdoptionOutcome.Adopt, Reason = f.Text("reason"), DecidedBy = f.Text("decidedBy"), OccurredAt = at, Provenance = prov };
        }

        private BarrierEncountered Barrier(RawEvent r, SourceFields f, PartialDate at, Provenance prov, Func<string?, Guid?> org)
        {
            var category = f.Peek("category") ?? f.Peek("code");
            var code = BarrierCode(category);
            if (code is null)
            {
                reader.Problem(r.Id, "fields.category", "barrier-code", $"barrier category '{category}' matches no barrier code ({string.Join(", ", Vocabulary.BarrierCodes.Select(c => c.Code))})");
            }

            f.UseIfSame("category", code);
            f.UseIfSame("code", code);
            var site = org(f.Text("site"));
            var severityText = f.Peek("severity");
            var severity = Enum.TryParse<Severity>(severityText, ignoreCase: true, out var s) ? s : Severity.Medium;
            if (severityText is not null && Enum.TryParse<Severity>(severityText, ignoreCase: true, out _))
            {
                f.Text("severity");
            }

            return new BarrierEncountered { Code = code ?? "O1", Scope = site is null ? BarrierScope.Innovation : BarrierScope.Site, SiteId = site, Severity = severity, Description = f.Text("description"), OccurredAt = at, Provenance = prov };
        }

        private BarrierResolved Resolution(RawEvent r, SourceFields f, PartialDate at, Provenance prov, string text)
        {
            var resolves = f.Text("resolves");
            if (resolves is null)
            {
                reader.Problem(r.Id, "fields.resolves", "required", "a BarrierResolved names the barrier event it resolves in fields.resolves");
            }

            return new BarrierResolved { BarrierEventId = reader.EventId(resolves ?? ""), How = f.Text("resolution") ?? f.Text("how") ?? text, OccurredAt = at, Provenance = prov };
        }

        private EnablerObserved Enabler(RawEvent r, SourceFields f, PartialDate at, Provenance prov, string text)
        {
            var theme = ThemeCode(f.Peek("theme"));
            if (theme is null)
            {
                reader.Problem(r.Id, "fields.theme", "vocabulary", $"theme '{f.Peek("theme")}' names no theme ({Vocabulary.Themes.Codes()})");
            }

            f.UseIfSame("theme", theme);
            return new EnablerObserved { Theme = theme ?? "O", Description = f.Text("description") ?? text, OccurredAt = at, Provenance = prov };
        }

        private DominoChangeObserved Domino(RawEvent r, SourceFields f, PartialDate at, Provenance prov, string text)
        {
            var kindText = f.Peek("kind") ?? "";
            var (kinds, unknown) = DominoKinds(kindText);
            if (unknown is not null)
            {
                reader.Problem(r.Id, "fields.kind", "vocabulary", $"domino code '{unknown}' matches no domino kind ({Vocabulary.DominoKinds.Codes()})");
            }

            // A chain ("A->B") says more than kind + alsoKinds can: its wording stays in Extra.
            if (!kindText.Contains("->", StringComparison.Ordinal))
            {
                f.Text("kind");
            }

            return new DominoChangeObserved
            {
                Kind = kinds.Count > 0 ? kinds[0] : "organisational_change",
                AlsoKinds = [.. kinds.Skip(1)],
                Target = f.Text("target") ?? f.Text("who") ?? text,
                OccurredAt = at,
                Provenance = prov,
            };
        }

        private static List<(string?, JourneyEvent)> Reach(SourceFields f, PartialDate at, Provenance prov, string text)
        {
            var metrics = f.Names.Where(n => ReachMetrics.ContainsKey(n) && f.IsNumber(n)).ToList();
            if (metrics.Count == 0)
            {
                // A reach record with no number (a monitoring start, a narrative figure) is a milestone, not a metric.
                return [(null, new CoverageMilestoneReached { Milestone = f.Text("metric") ?? text, OccurredAt = at, Provenance = prov })];
            }

            return [.. metrics.Select((n, i) =>
            {
                var (metric, unit, cumulative) = ReachMetrics[n];
                return (i == 0 ? null : n, (JourneyEvent)new MetricObserved
                {
                    Metric = metric, Value = f.Number(n)!.Value, Unit = unit, Cumulative = cumulative, Definition = $"the data set's ReachMeasured.{n}", OccurredAt = at, Provenance = prov,
                });
            })];
        }

        private List<(string?, JourneyEvent)> Unknown(RawEvent r)
        {
            reader.Problem(r.Id, "type", "known-type", $"event type '{r.Type}' is not one this format maps (the data set's types, named like the catalogue's events, and ReachMeasured)");
            return [];
        }

        /// <summary>A field naming another event of the data set by its id.</summary>
        private Guid Ref(RawEvent r, SourceFields f, string field)
        {
            var id = f.Text(field);
            if (id is null)
            {
                reader.Problem(r.Id, $"fields.{field}", "required", $"a {r.Type} names the event it refers to in fields.{field}");
            }

            return reader.EventId(id ?? "");
        }

        private static Money? Gbp(decimal? amount) => amount is { } a ? new Money { Amount = a, Currency = "GBP" } : null;
    }
}
