using System.Text.Json;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Domino;
using AdoptionEvents.Journeys.Evidence;
using AdoptionEvents.Journeys.Levers;
using AdoptionEvents.Journeys.Measures;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.Resources;
using AdoptionEvents.Journeys.SiteAdoption;

namespace AdoptionEvents.Tests;

/// <summary>
/// A whole journey that uses every event type of the catalogue once or more, in an order the rules
/// accept. Facts that name earlier events ask <c>idOf</c> for the id recorded under a label.
/// Shared by the unit tests (folded through the decider) and the integration tests (posted over HTTP).
/// </summary>
public static class SampleJourney
{
    public static PartialDate Year(string year) => new() { Value = year, Precision = DatePrecision.Year };

    /// <summary>A correction's changes: each field with its corrected value as JSON.</summary>
    public static Dictionary<string, JsonElement> Changes(params (string Field, object Value)[] changes) =>
        changes.ToDictionary(c => c.Field, c => JsonSerializer.SerializeToElement(c.Value));

    private static readonly Provenance Stated = new() { Basis = Basis.Stated, Sources = [new SourceReference { Id = "KF-ESC", Address = "https://www.kingsfund.org.uk", Locator = "case study" }], Confidence = 0.9 };
    private static readonly Provenance Inferred = new() { Basis = Basis.Inferred, Sources = [new SourceReference { Id = "AHSN-ESC" }] };

    public static IReadOnlyList<(string Label, Func<Func<string, Guid>, JourneyEvent> Fact)> Steps(Guid site, Guid otherSite) =>
    [
        ("need", _ => new NeedIdentified { Need = "Osteoarthritis patients rely on painkillers", Condition = "knee and hip osteoarthritis", OccurredAt = new PartialDate { Value = "2000", Precision = DatePrecision.Decade }, Provenance = Stated }),
        ("registered", id => new InnovationRegistered { Name = "ESCAPE-pain", InnovationType = "service_model", Conditions = ["osteoarthritis"], CareSettings = ["community"], Originators = ["Mike Hurley"], OriginOrganisationId = site, OccurredAt = Year("2005"), Provenance = Stated, CausedBy = [id("need")] }),
        ("version", _ => new VersionReleased { Version = "2.0", CoreComponents = ["12 sessions"], AdaptableComponents = ["venue"], OccurredAt = Year("2013"), Provenance = Stated }),
        ("pilot", _ => new PilotStarted { SiteId = site, Description = "first groups", OccurredAt = Year("2006"), Provenance = Stated }),
        ("pilot-done", id => new PilotCompleted { SiteId = site, Outcome = "improved function", OccurredAt = Year("2007"), Provenance = Stated, CausedBy = [id("pilot")] }),
        ("evidence", id => new EvidenceRecorded { EvidenceType = "rct", Title = "RCT", Finding = "reduced pain", OccurredAt = Year("2007"), Provenance = Stated, CausedBy = [id("pilot-done")] }),
        ("evaluation", _ => new EvaluationReported { Evaluator = "Health Innovation Network", OccurredAt = Year("2016"), Provenance = Stated }),
        ("complexity", _ => new ComplexityAssessed { Domains = new Dictionary<string, Complexity> { ["technology"] = Complexity.Simple, ["organisation"] = Complexity.Complicated }, OccurredAt = Year("2017"), Provenance = Inferred }),
        ("funding", _ => new FundingSecured { Funder = "Arthritis Research UK", Purpose = "development", Amount = new Money { Amount = 30000, Currency = "GBP" }, OccurredAt = Year("2005"), Provenance = Stated }),
        ("support", _ => new SupportOrganisationEngaged { Organisation = "HIN South London", Role = "adoption and spread lead", OccurredAt = Year("2014"), Provenance = Stated }),
        ("award", _ => new AwardReceived { Award = "HSJ Value Award", Amount = new Money { Amount = 0, Currency = "GBP" }, OccurredAt = Year("2016"), Provenance = Stated }),
        ("recognition", _ => new ExternalRecognitionRecorded { Recognition = "NICE shared learning", By = "NICE", OccurredAt = Year("2017"), Provenance = Stated }),
        ("engagement", _ => new EngagementActivityHeld { Activity = "national webinar", Participants = 120, OccurredAt = Year("2017"), Provenance = Stated }),
        ("guidance", _ => new GuidanceIssued { Body = "NICE", Guidance = "OA guideline", OccurredAt = Year("2014"), Provenance = Stated }),
        ("endorsement", _ => new EndorsementIssued { Body = "Chartered Society of Physiotherapy", OccurredAt = Year("2015"), Provenance = Stated }),
        ("lever", _ => new NationalLeverApplied { Lever = "national_strategy", Body = "NHS England", OccurredAt = Year("2018"), Provenance = Stated }),
        ("policy", _ => new PolicySignalIssued { Signal = "Long Term Plan names MSK", Body = "NHS England", OccurredAt = Year("2019"), Provenance = Stated }),
        ("target", _ => new TargetSet { Target = "100 sites", Metric = "sites_live", Value = 100, Due = Year("2020"), OccurredAt = Year("2017"), Provenance = Stated }),
        ("programme", _ => new SpreadProgrammeLaunched { Programme = "AHSN national programme", Scope = ProgrammeScope.National, Lead = "HIN", Partners = ["all AHSNs"], OccurredAt = Year("2018"), Provenance = Stated }),
        ("wave", _ => new AdoptionWaveStarted { Wave = "wave 1", SiteIds = [site, otherSite], OccurredAt = Year("2018"), Provenance = Stated }),
        ("deployed", _ => new TechnologyDeployed { Technology = "ESCAPE-pain app", Devices = 500, Sites = 20, OccurredAt = Year("2019"), Provenance = Stated }),
        ("from-elsewhere", _ => new AdoptedFromElsewhere { Source = "Enabling Self-management programme", OccurredAt = Year("2013"), Provenance = Inferred }),
        ("aware", _ => new AdopterAware { SiteId = site, Channel = "AHSN event", OccurredAt = Year("2012"), Provenance = Stated }),
        ("considered", _ => new AdoptionConsidered { SiteId = site, By = "MSK board", OccurredAt = Year("2012"), Provenance = Stated }),
        ("decided", _ => new AdoptionDecided { SiteId = site, Outcome = AdoptionOutcome.Adopt, Reason = "evidence", DecisionLevel = DecisionLevel.Organisation, OccurredAt = Year("2013"), Provenance = Stated }),
        ("implementing", _ => new ImplementationStarted { SiteId = site, OccurredAt = Year("2013"), Provenance = Stated }),
        ("adapted", _ => new AdaptationMade { SiteId = site, Component = "venue", Adaptation = "leisure centre", CoreComponent = false, OccurredAt = Year("2013"), Provenance = Stated }),
        ("trained", _ => new StaffTrained { SiteId = site, Count = 12, Role = "physiotherapists", OccurredAt = Year("2013"), Provenance = Stated }),
        ("live", id => new ServiceWentLive { SiteId = site, OccurredAt = Year("2014"), Provenance = Stated, CausedBy = [id("decided")] }),
        ("commissioned", _ => new CommissioningSecured { SiteId = site, Commissioner = "Lambeth CCG", OccurredAt = Year("2015"), Provenance = Stated }),
        ("other-decided", _ => new AdoptionDecided { SiteId = otherSite, Outcome = AdoptionOutcome.Adopt, OccurredAt = Year("2015"), Provenance = Stated }),
        ("shared", _ => new KnowledgeShared { SiteId = site, ToSiteId = otherSite, How = "site visit", OccurredAt = Year("2015"), Provenance = Stated }),
        ("usage-dropped", _ => new UsageDropped { SiteId = site, Metric = "referrals", OccurredAt = Year("2016"), Provenance = Stated }),
        ("suspended", _ => new AdoptionSuspended { SiteId = site, Reason = "staff shortage", OccurredAt = Year("2016"), Provenance = Stated }),
        ("resumed", _ => new AdoptionResumed { SiteId = site, OccurredAt = Year("2016"), Provenance = Stated }),
        ("sustained", _ => new SustainmentConfirmed { SiteId = site, Evidence = "three years of referrals", OccurredAt = Year("2017"), Provenance = Stated }),
        ("barrier", _ => new BarrierEncountered { Code = "R2", Scope = BarrierScope.Site, Severity = Severity.High, SiteId = site, Description = "no protected time", OccurredAt = Year("2016"), Provenance = Stated }),
        ("barrier-resolved", id => new BarrierResolved { BarrierEventId = id("barrier"), How = "business case accepted", OccurredAt = Year("2017"), Provenance = Stated }),
        ("enabler", _ => new EnablerObserved { Theme = "T5", Code = "R1", Description = "commissioner engagement", OccurredAt = Year("2017"), Provenance = Stated }),
        ("domino", id => new DominoChangeObserved { Kind = "staff_role_change", AlsoKinds = ["setting_shift"], Target = "fitness instructors deliver classes", Direction = Direction.Shift, Desirability = Desirability.Desirable, Anticipation = Anticipation.Unanticipated, OccurredAt = Year("2019"), Provenance = Stated, CausedBy = [id("live")] }),
        ("new-need", id => new NewNeedRevealed { Need = "back pain version", OccurredAt = Year("2019"), Provenance = Inferred, CausedBy = [id("domino")] }),
        ("role", id => new RoleChanged { Who = RoleHolder.Patient, Role = "self-manager", Change = "leads own exercise", OccurredAt = Year("2019"), Provenance = Stated, CausedBy = [id("live")] }),
        ("pathway", _ => new PathwayChanged { Pathway = "MSK", Change = "group rehab before surgery referral", OccurredAt = Year("2019"), Provenance = Stated }),
        ("derived", id => new DerivedInnovationLaunched { Derived = "ESCAPE-pain for back pain", OccurredAt = Year("2020"), Provenance = Stated, CausedBy = [id("new-need")] }),
        ("link", id => new CausalLinkAsserted { CauseEventId = id("role"), EffectEventId = id("pathway"), Rationale = "found in evaluation", OccurredAt = Year("2020"), Provenance = Inferred }),
        ("link-withdrawn", id => new CausalLinkWithdrawn { LinkEventId = id("link"), Reason = "evaluation revised", OccurredAt = Year("2021"), Provenance = Inferred }),
        ("metric", _ => new MetricObserved { Metric = "sites_live", Value = 110, Unit = "count", Cumulative = true, Definition = "sites delivering classes", ReportedBy = "HIN", OccurredAt = Year("2018"), Provenance = Stated }),
        ("coverage", _ => new CoverageMilestoneReached { Milestone = "100 sites", Sites = 100, Share = 0.05m, OccurredAt = Year("2018"), Provenance = Stated }),
        ("eligible", _ => new EligiblePopulationDefined { Population = "MSK services in England", Size = 2000, Unit = "sites", OccurredAt = Year("2018"), Provenance = Inferred }),
        ("target-met", id => new TargetMet { TargetEventId = id("target"), OccurredAt = Year("2018"), Provenance = Stated }),
        ("target-2", _ => new TargetSet { Target = "300 sites", Metric = "sites_live", Value = 300, OccurredAt = Year("2019"), Provenance = Stated }),
        ("target-missed", id => new TargetMissed { TargetEventId = id("target-2"), OccurredAt = Year("2021"), Provenance = Stated }),
        ("funding-ended", id => new FundingEnded { FundingEventId = id("funding"), Reason = "grant complete", OccurredAt = Year("2010"), Provenance = Stated }),
        ("programme-ended", id => new SpreadProgrammeEnded { ProgrammeEventId = id("programme"), OccurredAt = Year("2020"), Provenance = Stated }),
        ("discontinued", _ => new AdoptionDiscontinued { SiteId = site, Reason = "service redesigned", OccurredAt = Year("2021"), Provenance = Stated }),
        ("corrected", id => new EventCorrected { CorrectedEventId = id("metric"), Changes = new Dictionary<string, JsonElement> { ["value"] = JsonSerializer.SerializeToElement(112) }, Reason = "later report", OccurredAt = Year("2019"), Provenance = Stated }),
        ("retracted", id => new EventRetracted { RetractedEventId = id("award"), Reason = "award was for another programme", OccurredAt = Year("2019"), Provenance = Stated }),
        ("site-retracted", id => new EventRetracted { RetractedEventId = id("other-decided"), Reason = "the decision was another trust's", OccurredAt = Year("2019"), Provenance = Stated }),
        ("barrier-2", _ => new BarrierEncountered { Code = "R1", Scope = BarrierScope.Innovation, Severity = Severity.Medium, Description = "no tariff", OccurredAt = Year("2019"), Provenance = Stated }),
        ("barrier-2-resolved", id => new BarrierResolved { BarrierEventId = id("barrier-2"), How = "tariff agreed", OccurredAt = Year("2019"), Provenance = Stated }),
        ("resolution-retracted", id => new EventRetracted { RetractedEventId = id("barrier-2-resolved"), Reason = "the tariff was not agreed", OccurredAt = Year("2020"), Provenance = Stated }),
        ("training-corrected", id => new EventCorrected { CorrectedEventId = id("trained"), Changes = Changes(("count", 14), ("occurredAt", new { value = "2013-06", precision = "month" })), Reason = "the register says 14, in June", OccurredAt = Year("2020"), Provenance = Stated }),
        ("training-corrected-again", id => new EventCorrected { CorrectedEventId = id("trained"), Changes = Changes(("count", 15)), Reason = "a late sign-up", OccurredAt = Year("2021"), Provenance = Stated }),
        ("adaptation-corrected", id => new EventCorrected { CorrectedEventId = id("adapted"), Changes = Changes(("adaptation", "community hall"), ("coreComponent", true)), Reason = "the venue was a community hall", OccurredAt = Year("2020"), Provenance = Stated }),
        ("decided-corrected", id => new EventCorrected { CorrectedEventId = id("decided"), Changes = Changes(("occurredAt", new { value = "2013-02", precision = "month" })), Reason = "board minutes", OccurredAt = Year("2020"), Provenance = Stated }),
        ("live-corrected", id => new EventCorrected { CorrectedEventId = id("live"), Changes = Changes(("occurredAt", new { value = "2014-03", precision = "month" })), Reason = "first class in March", OccurredAt = Year("2020"), Provenance = Stated }),
        ("discontinued-corrected", id => new EventCorrected { CorrectedEventId = id("discontinued"), Changes = Changes(("reason", "service merged")), Reason = "the trust's letter", OccurredAt = Year("2022"), Provenance = Stated }),
        ("ownership", _ => new OwnershipTransferred { To = "Health Innovation Network", Mechanism = "licence", OccurredAt = Year("2016"), Provenance = Stated }),
        ("licence", _ => new LicenceGranted { Licensee = "Versus Arthritis", Terms = "free to NHS", OccurredAt = Year("2018"), Provenance = Stated }),
        ("superseded", _ => new InnovationSuperseded { SupersededBy = "ESCAPE-pain online", OccurredAt = Year("2022"), Provenance = Stated }),
        ("retired", _ => new InnovationRetired { Reason = "replaced by the online version", OccurredAt = Year("2023"), Provenance = Stated }),
    ];
}
