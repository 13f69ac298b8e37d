using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Domino;
using AdoptionEvents.Journeys.Evidence;
using AdoptionEvents.Journeys.Levers;
using AdoptionEvents.Journeys.Measures;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.Resources;
using AdoptionEvents.Journeys.SiteAdoption;

namespace AdoptionEvents.Journeys.Recording;

/// <summary>Rules a fact must meet whatever the journey's state: dates, codes, amounts, required text.</summary>
public static class FieldRules
{
    public static IEnumerable<Refusal> Check(JourneyEvent e, DateOnly today)
    {
        foreach (var r in Date("occurredAt", e.OccurredAt, today))
        {
            yield return r;
        }

        if (e.Provenance.Confidence is < 0 or > 1)
        {
            yield return Refusal.BadInput("provenance.confidence", "range", "confidence must be between 0 and 1");
        }

        if (e.Provenance.Sources.FirstOrDefault(s => string.IsNullOrWhiteSpace(s.Id)) is not null)
        {
            yield return Refusal.BadInput("provenance.sources", "not-empty", "every source needs an id");
        }

        if (e.CausedBy.Distinct().Count() != e.CausedBy.Count)
        {
            yield return Refusal.BadInput("causedBy", "distinct", "causedBy names the same event twice");
        }

        foreach (var r in Specific(e, today))
        {
            yield return r;
        }
    }

    private static IEnumerable<Refusal> Specific(JourneyEvent e, DateOnly today) => e switch
    {
        NeedIdentified n => Text("need", n.Need),
        InnovationRegistered r => [.. Text("name", r.Name), .. Code("innovationType", r.InnovationType, Vocabulary.InnovationTypes)],
        VersionReleased v => Text("version", v.Version),
        OwnershipTransferred o => Text("to", o.To),
        LicenceGranted l => Text("licensee", l.Licensee),
        InnovationSuperseded s => Text("supersededBy", s.SupersededBy),
        InnovationRetired r => Text("reason", r.Reason),
        EvidenceRecorded v => Code("evidenceType", v.EvidenceType, Vocabulary.EvidenceTypes),
        EvaluationReported v => Text("evaluator", v.Evaluator),
        ComplexityAssessed c => c.Domains.Count == 0
            ? [Refusal.BadInput("domains", "not-empty", "assess at least one NASSS domain")]
            : c.Domains.Keys.Where(k => !Vocabulary.NasssDomains.Has(k))
                .Select(k => Refusal.BadInput($"domains.{k}", "vocabulary", $"'{k}' is not a NASSS domain ({Vocabulary.NasssDomains.Codes()})")),
        FundingSecured f => [.. Text("funder", f.Funder), .. Code("purpose", f.Purpose, Vocabulary.FundingPurposes), .. Amount("amount", f.Amount),
            .. f.PeriodEnd is { } end ? Date("periodEnd", end, DateOnly.MaxValue) : []],
        SupportOrganisationEngaged s => Text("organisation", s.Organisation),
        AwardReceived a => [.. Text("award", a.Award), .. Amount("amount", a.Amount)],
        ExternalRecognitionRecorded x => Text("recognition", x.Recognition),
        EngagementActivityHeld a => [.. Text("activity", a.Activity), .. NonNegative("participants", a.Participants)],
        GuidanceIssued g => Text("body", g.Body),
        EndorsementIssued g => Text("body", g.Body),
        NationalLeverApplied l => Code("lever", l.Lever, Vocabulary.Levers),
        PolicySignalIssued p => Text("signal", p.Signal),
        TargetSet t => [.. Text("target", t.Target), .. t.Metric is null ? [] : Code("metric", t.Metric, Vocabulary.Metrics),
            .. t.Due is { } due ? Date("due", due, DateOnly.MaxValue) : []],
        SpreadProgrammeLaunched p => Text("programme", p.Programme),
        AdoptionWaveStarted w => Text("wave", w.Wave),
        TechnologyDeployed t => [.. Text("technology", t.Technology), .. NonNegative("devices", t.Devices), .. NonNegative("sites", t.Sites)],
        AdoptedFromElsewhere a => Text("source", a.Source),
        AdaptationMade a => [.. Text("component", a.Component), .. Text("adaptation", a.Adaptation)],
        StaffTrained s => s.Count > 0 ? [] : [Refusal.BadInput("count", "positive", "count must be at least 1")],
        AdoptionSuspended s => Text("reason", s.Reason),
        AdoptionDiscontinued d => Text("reason", d.Reason),
        KnowledgeShared k => k.ToSiteId == k.SiteId ? [Refusal.BadInput("toSiteId", "different-site", "knowledge is shared with another site")] : [],
        BarrierEncountered b => [.. Code("code", b.Code, Vocabulary.BarrierCodes),
            .. When(b.Scope == BarrierScope.Site && b.SiteId is null, "siteId", "required", "a site-scoped barrier names its site")],
        BarrierResolved b => Text("how", b.How),
        EnablerObserved n => [.. Code("theme", n.Theme, Vocabulary.Themes), .. n.Code is null ? [] : Code("code", n.Code, Vocabulary.BarrierCodes),
            .. Text("description", n.Description)],
        DominoChangeObserved d => [.. Code("kind", d.Kind, Vocabulary.DominoKinds), .. Text("target", d.Target),
            .. d.AlsoKinds.SelectMany(k => Code("alsoKinds", k, Vocabulary.DominoKinds))],
        NewNeedRevealed n => Text("need", n.Need),
        RoleChanged r => [.. Text("role", r.Role), .. Text("change", r.Change)],
        PathwayChanged p => [.. Text("pathway", p.Pathway), .. Text("change", p.Change)],
        DerivedInnovationLaunched d => Text("derived", d.Derived),
        CausalLinkAsserted c => c.CauseEventId == c.EffectEventId ? [Refusal.Conflict("effectEventId", "acyclic", "an event cannot cause itself")] : [],
        CausalLinkWithdrawn w => Text("reason", w.Reason),
        MetricObserved m => [.. Code("metric", m.Metric, Vocabulary.Metrics), .. Text("unit", m.Unit),
            .. When(m.Value < 0, "value", "non-negative", "a metric value cannot be negative"),
            .. m.PeriodStart is { } start ? Date("periodStart", start, today) : []],
        CoverageMilestoneReached c => [.. Text("milestone", c.Milestone), .. NonNegative("sites", c.Sites),
            .. When(c.Share is < 0 or > 1, "share", "range", "share is a fraction between 0 and 1")],
        EligiblePopulationDefined p => [.. Text("population", p.Population), .. Text("unit", p.Unit),
            .. When(p.Size <= 0, "size", "positive", "the eligible population has at least one member")],
        EventCorrected c => [.. Text("reason", c.Reason), .. c.Changes.Count == 0
            ? [Refusal.BadInput("changes", "not-empty", "a correction changes at least one field")]
            : c.Changes.Keys.Where(k => k is "innovationId" or "type").Select(k => Refusal.BadInput($"changes.{k}", "immutable", $"'{k}' cannot be corrected"))],
        EventRetracted r => Text("reason", r.Reason),
        _ => [],
    };

    private static IEnumerable<Refusal> Date(string field, PartialDate date, DateOnly latestAllowed)
    {
        if (date.Problem() is { } problem)
        {
            yield return Refusal.BadInput(field, "partial-date", problem);
        }
        else if (date.Earliest > latestAllowed)
        {
            yield return Refusal.BadInput(field, "not-in-future", $"{field} {date} is after today ({latestAllowed:yyyy-MM-dd})");
        }
    }

    private static IEnumerable<Refusal> When(bool broken, string field, string rule, string detail) =>
        broken ? [Refusal.BadInput(field, rule, detail)] : [];

    private static IEnumerable<Refusal> Text(string field, string? value) =>
        string.IsNullOrWhiteSpace(value) ? [Refusal.BadInput(field, "not-empty", $"{field} must not be empty")] : [];

    private static IEnumerable<Refusal> Code(string field, string? code, IReadOnlyList<Term> vocabulary) =>
        vocabulary.Has(code) ? [] : [Refusal.BadInput(field, "vocabulary", $"'{code}' is not in the vocabulary ({vocabulary.Codes()})")];

    private static IEnumerable<Refusal> Code(string field, string? code, IReadOnlyList<BarrierCode> vocabulary) =>
        vocabulary.Has(code) ? [] : [Refusal.BadInput(field, "vocabulary", $"'{code}' is not a barrier code ({string.Join(", ", vocabulary.Select(c => c.Code))})")];

    private static IEnumerable<Refusal> Amount(string field, Money? money)
    {
        if (money is null)
        {
            yield break;
        }

        if (money.Amount < 0)
        {
            yield return Refusal.BadInput($"{field}.amount", "non-negative", "an amount cannot be negative");
        }

        if (!Vocabulary.CurrencyCodes.Has(money.Currency))
        {
            yield return Refusal.BadInput($"{field}.currency", "vocabulary", $"'{money.Currency}' is not a supported currency ({Vocabulary.CurrencyCodes.Codes()})");
        }
    }

    private static IEnumerable<Refusal> NonNegative(string field, int? value) =>
        value is < 0 ? [Refusal.BadInput(field, "non-negative", $"{field} cannot be negative")] : [];
}
