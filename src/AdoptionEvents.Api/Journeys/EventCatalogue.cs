using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Domino;
using AdoptionEvents.Journeys.Evidence;
using AdoptionEvents.Journeys.Levers;
using AdoptionEvents.Journeys.Measures;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.Resources;
using AdoptionEvents.Journeys.SiteAdoption;

namespace AdoptionEvents.Journeys;

public sealed record CatalogueEntry(Type Type, string Name, string Family, string Meaning);

/// <summary>
/// Every journey event with its stored name. Stored names are the contract with the database, the
/// exports and the subscribers: they never change once released, whatever the CLR type is called.
/// The same name is the "type" discriminator of a fact posted over HTTP.
/// </summary>
public static class EventCatalogue
{
    public static readonly IReadOnlyList<CatalogueEntry> Entries =
    [
        E<NeedIdentified>("need_identified", "origin", "The need that started the journey"),
        E<InnovationRegistered>("innovation_registered", "origin", "The innovation named: type, conditions, care settings, originators, origin"),
        E<VersionReleased>("version_released", "origin", "A version with its core and adaptable components"),
        E<OwnershipTransferred>("ownership_transferred", "origin", "Ownership passed to another organisation"),
        E<LicenceGranted>("licence_granted", "origin", "A licence to use or supply the innovation"),
        E<InnovationSuperseded>("innovation_superseded", "origin", "Replaced by another innovation"),
        E<InnovationRetired>("innovation_retired", "origin", "Retired: the journey takes only corrections after this"),
        E<PilotStarted>("pilot_started", "evidence", "A pilot began"),
        E<PilotCompleted>("pilot_completed", "evidence", "A pilot ended, with its outcome"),
        E<EvidenceRecorded>("evidence_recorded", "evidence", "Evidence of a given type (RCT, observational, economic ...)"),
        E<EvaluationReported>("evaluation_reported", "evidence", "An evaluation reported its findings"),
        E<ComplexityAssessed>("complexity_assessed", "evidence", "NASSS complexity per domain"),
        E<FundingSecured>("funding_secured", "resources", "Funding by funder, amount and purpose"),
        E<FundingEnded>("funding_ended", "resources", "A funding stream ended"),
        E<SupportOrganisationEngaged>("support_organisation_engaged", "resources", "An AHSN/HIN or other body engaged to support"),
        E<AwardReceived>("award_received", "resources", "An award, with any prize money"),
        E<ExternalRecognitionRecorded>("external_recognition_recorded", "resources", "Recognition by an outside body"),
        E<EngagementActivityHeld>("engagement_activity_held", "resources", "An event or campaign to engage adopters"),
        E<GuidanceIssued>("guidance_issued", "levers", "Guidance that names the innovation"),
        E<EndorsementIssued>("endorsement_issued", "levers", "An endorsement by a national or professional body"),
        E<NationalLeverApplied>("national_lever_applied", "levers", "Tariff, MedTech Funding Mandate, RUP, CQUIN, safety alert, regulator letter ..."),
        E<PolicySignalIssued>("policy_signal_issued", "levers", "A policy statement that favours the innovation"),
        E<TargetSet>("target_set", "levers", "A target to reach"),
        E<TargetMet>("target_met", "levers", "A target was met"),
        E<TargetMissed>("target_missed", "levers", "A target was missed"),
        E<SpreadProgrammeLaunched>("spread_programme_launched", "levers", "A local, regional or national spread programme began"),
        E<SpreadProgrammeEnded>("spread_programme_ended", "levers", "A spread programme ended"),
        E<AdoptionWaveStarted>("adoption_wave_started", "levers", "A wave of sites started together"),
        E<TechnologyDeployed>("technology_deployed", "levers", "Devices or software deployed at scale"),
        E<AdoptedFromElsewhere>("adopted_from_elsewhere", "levers", "Taken over from another innovation or place"),
        E<AdopterAware>("adopter_aware", "site_adoption", "A site became aware of the innovation"),
        E<AdoptionConsidered>("adoption_considered", "site_adoption", "A site began to consider adopting"),
        E<AdoptionDecided>("adoption_decided", "site_adoption", "A site decided to adopt, decline or defer, with its reason and decision level"),
        E<ImplementationStarted>("implementation_started", "site_adoption", "A site began to implement"),
        E<AdaptationMade>("adaptation_made", "site_adoption", "A site tailored a component (core or adaptable)"),
        E<StaffTrained>("staff_trained", "site_adoption", "Staff at a site were trained"),
        E<ServiceWentLive>("service_went_live", "site_adoption", "A site went live"),
        E<CommissioningSecured>("commissioning_secured", "site_adoption", "The service at a site was commissioned"),
        E<UsageDropped>("usage_dropped", "site_adoption", "Use at a live site fell"),
        E<AdoptionSuspended>("adoption_suspended", "site_adoption", "A live site paused"),
        E<AdoptionResumed>("adoption_resumed", "site_adoption", "A suspended site is live again"),
        E<AdoptionDiscontinued>("adoption_discontinued", "site_adoption", "A site that had gone live stopped"),
        E<SustainmentConfirmed>("sustainment_confirmed", "site_adoption", "A live site is confirmed as sustained"),
        E<KnowledgeShared>("knowledge_shared", "site_adoption", "Learning passed from one site to another"),
        E<BarrierEncountered>("barrier_encountered", "barriers", "A barrier by taxonomy code, scope and severity"),
        E<BarrierResolved>("barrier_resolved", "barriers", "An open barrier was resolved, and how"),
        E<EnablerObserved>("enabler_observed", "barriers", "Something that helped spread"),
        E<DominoChangeObserved>("domino_change_observed", "domino", "A knock-on change: kind, target, direction, magnitude, desirability ..."),
        E<NewNeedRevealed>("new_need_revealed", "domino", "A patient need the innovation revealed"),
        E<RoleChanged>("role_changed", "domino", "A staff or patient role changed"),
        E<PathwayChanged>("pathway_changed", "domino", "A care pathway changed"),
        E<DerivedInnovationLaunched>("derived_innovation_launched", "domino", "A new innovation grew out of this one"),
        E<CausalLinkAsserted>("causal_link_asserted", "domino", "A cause-and-effect link found after both events were recorded"),
        E<CausalLinkWithdrawn>("causal_link_withdrawn", "domino", "An asserted link withdrawn"),
        E<MetricObserved>("metric_observed", "measures", "A dated observation of a metric (the data set's ReachMeasured)"),
        E<CoverageMilestoneReached>("coverage_milestone_reached", "measures", "A coverage milestone was reached"),
        E<EligiblePopulationDefined>("eligible_population_defined", "measures", "The denominator for shares of the eligible population"),
        E<EventCorrected>("event_corrected", "corrections", "Corrects fields of an earlier event; the original stays"),
        E<EventRetracted>("event_retracted", "corrections", "Retracts an earlier event; the original stays, marked. When the original changed a site's state, the store adds siteChange (siteId, from, to): the change it takes back; for a site fact the register counts (staff trained, an adaptation, knowledge shared, a commissioning), siteFact; for a fact that closed another, reopens (eventId, type). A retraction cannot itself be retracted"),
    ];

    private static readonly Dictionary<Type, CatalogueEntry> ByType = Entries.ToDictionary(e => e.Type);
    private static readonly Dictionary<string, CatalogueEntry> ByName = Entries.ToDictionary(e => e.Name);

    public static string NameOf(Type type) => ByType[type].Name;

    public static CatalogueEntry? Find(string name) => ByName.GetValueOrDefault(name);

    public static CatalogueEntry Of(JourneyEvent e) => ByType[e.GetType()];

    private static CatalogueEntry E<T>(string name, string family, string meaning) where T : JourneyEvent => new(typeof(T), name, family, meaning);
}
