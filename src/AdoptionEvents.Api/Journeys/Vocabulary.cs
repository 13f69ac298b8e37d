namespace AdoptionEvents.Journeys;

public sealed record Term(string Code, string Label);

public sealed record BarrierCode(string Code, string Theme, string Label, string NasssDomain);

/// <summary>
/// The published code lists. A fact that names a code outside its list is refused, so counts by code
/// stay comparable across journeys. GET /api/vocabularies lists them all.
/// </summary>
public static class Vocabulary
{
    public static readonly IReadOnlyList<Term> Themes =
    [
        new("T1", "Leaders need convincing"),
        new("T2", "Select and tailor to local context"),
        new("T3", "Fragmentation"),
        new("T4", "Domino effect"),
        new("T5", "Resources"),
        new("O", "Other"),
    ];

    public static readonly IReadOnlyList<Term> NasssDomains =
    [
        new("condition", "The condition or illness"),
        new("technology", "The technology"),
        new("value_proposition", "The value proposition"),
        new("adopters", "The adopter system (staff, patients, carers)"),
        new("organisation", "The organisation(s)"),
        new("wider_system", "The wider system"),
        new("embedding_over_time", "Embedding and adaptation over time"),
    ];

    public static readonly IReadOnlyList<BarrierCode> BarrierCodes =
    [
        new("L1", "T1", "Seen as a luxury or low priority", "value_proposition"),
        new("L2", "T1", "Scepticism after earlier failures", "adopters"),
        new("L3", "T1", "Evidence not persuasive here", "value_proposition"),
        new("L4", "T1", "No senior or clinical sponsor", "organisation"),
        new("F1", "T2", "Poor fit with local pathway or workflow", "organisation"),
        new("F2", "T2", "Loss of fidelity", "embedding_over_time"),
        new("F3", "T2", "Not invented here", "adopters"),
        new("F4", "T2", "Population or context differs from the origin", "condition"),
        new("D1", "T3", "IT and interoperability", "technology"),
        new("D2", "T3", "Budget silos: cost and benefit fall in different organisations or years", "wider_system"),
        new("D3", "T3", "Organisational or professional boundaries", "organisation"),
        new("D4", "T3", "No way to share learning across sites", "wider_system"),
        new("C1", "T4", "Unplanned downstream demand", "organisation"),
        new("C2", "T4", "Roles must change; training", "adopters"),
        new("C3", "T4", "New needs with no service to meet them", "wider_system"),
        new("C4", "T4", "Whole pathway must be redesigned", "organisation"),
        new("R1", "T5", "No implementation funding", "organisation"),
        new("R2", "T5", "No protected staff time", "organisation"),
        new("R3", "T5", "Funding cliff at programme end", "wider_system"),
        new("R4", "T5", "Burn-out and turnover", "adopters"),
        new("O1", "O", "Regulation and assurance", "wider_system"),
        new("O2", "O", "Patient acceptance and equity", "adopters"),
    ];

    public static readonly IReadOnlyList<Term> DominoKinds =
    [
        new("diagnostic_shift", "Diagnostic shift"),
        new("treatment_shift", "Treatment shift"),
        new("new_need_revealed", "New need revealed"),
        new("capacity_shift", "Capacity shift"),
        new("staff_role_change", "Staff role change"),
        new("patient_role_change", "Patient role change"),
        new("setting_shift", "Setting shift"),
        new("pathway_redesign", "Pathway redesign"),
        new("information_flow_change", "Information-flow change"),
        new("derivative_innovation", "Derivative innovation"),
        new("organisational_change", "Organisational change"),
        new("financial_shift", "Financial shift"),
        new("policy_change", "Policy change"),
    ];

    public static readonly IReadOnlyList<Term> Metrics =
    [
        new("patients_benefiting", "Patients benefiting"),
        new("sites_live", "Sites live"),
        new("practices_engaged", "GP practices engaged"),
        new("practices_trained", "GP practices trained"),
        new("practices_live", "GP practices live"),
        new("organisations_live", "Organisations live"),
        new("staff_trained", "Staff trained"),
        new("participants", "Participants (people taking part)"),
        new("population_covered", "Population covered"),
        new("jobs_created", "Jobs created"),
        new("investment_leveraged", "Investment leveraged"),
        new("savings", "Savings"),
        new("detection_rate", "Detection rate"),
        new("treatment_rate", "Treatment rate (e.g. anticoagulation)"),
        new("maintenance_rate", "Maintenance rate (benefit kept)"),
        new("events_avoided", "Adverse events avoided (e.g. strokes)"),
        new("reporting_sites", "Sites reporting data"),
    ];

    public static readonly IReadOnlyList<Term> EvidenceTypes =
    [
        new("rct", "Randomised controlled trial"),
        new("cluster_rct", "Cluster randomised trial"),
        new("observational", "Observational study"),
        new("economic", "Economic evaluation"),
        new("qualitative", "Qualitative study"),
        new("service_evaluation", "Service evaluation"),
        new("audit", "Audit (before/after, KPI)"),
        new("pilot_results", "Pilot results"),
        new("service_data", "Routine service data"),
        new("systematic_review", "Systematic review"),
        new("guidance_appraisal", "Guidance body appraisal"),
        new("other", "Other"),
    ];

    public static readonly IReadOnlyList<Term> Levers =
    [
        new("tariff_payment", "Tariff payment"),
        new("medtech_funding_mandate", "MedTech Funding Mandate"),
        new("rapid_uptake_products", "Rapid Uptake Products"),
        new("cquin", "CQUIN"),
        new("safety_alert", "Safety alert"),
        new("regulator_letter", "Regulator letter or recommendation"),
        new("national_procurement", "National procurement or distribution"),
        new("national_strategy", "National strategy or plan"),
        new("mandate", "Mandate"),
        new("other", "Other"),
    ];

    public static readonly IReadOnlyList<Term> FundingPurposes =
    [
        new("development", "Development"),
        new("pilot", "Pilot"),
        new("implementation", "Implementation"),
        new("evaluation", "Evaluation"),
        new("spread", "Spread and scale"),
        new("unspecified", "Not stated by the source"),
    ];

    public static readonly IReadOnlyList<Term> InnovationTypes =
    [
        new("service_model", "Service or care model"),
        new("digital", "Digital or telehealth"),
        new("device", "Medical device"),
        new("diagnostic", "Diagnostic test or pathway"),
        new("medicine", "Medicine"),
        new("safety_practice", "Safety practice or intervention"),
        new("clinical_standard", "Clinical standard or scoring system"),
        new("workforce_model", "Workforce model"),
        new("other", "Other"),
    ];

    public static readonly IReadOnlyList<Term> CurrencyCodes = [new("GBP", "Pound sterling"), new("EUR", "Euro"), new("USD", "US dollar")];

    public static bool Has(this IReadOnlyList<Term> terms, string? code) => terms.Any(t => t.Code == code);

    public static bool Has(this IReadOnlyList<BarrierCode> codes, string? code) => codes.Any(t => t.Code == code);

    public static string Codes(this IReadOnlyList<Term> terms) => string.Join(", ", terms.Select(t => t.Code));
}
