using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.ReadModels.SiteRegister;

namespace AdoptionEvents.Evaluation;

/// <summary>
/// Copies of the documents a <see cref="JourneyFold"/> changes in place, deep as far as the projections
/// mutate: every collection is new, the records in them (transitions, observations, barriers, dates) are
/// immutable and shared. The projections never remove a key from a dictionary, so a copied one lists its
/// keys in the original's order, and keys added later follow in the same order in both: answers serialise
/// to the same bytes from a copy as from the original. A member added to either document must be added
/// here; the unit tests compare every member of a copy with its original.
/// </summary>
public static class FoldCopies
{
    public static InnovationSummary Of(InnovationSummary s) => new()
    {
        Id = s.Id,
        Name = s.Name,
        Need = s.Need,
        InnovationType = s.InnovationType,
        Conditions = [.. s.Conditions],
        CareSettings = [.. s.CareSettings],
        Originators = [.. s.Originators],
        OriginOrganisationId = s.OriginOrganisationId,
        Stage = s.Stage,
        Overlays = [.. s.Overlays],
        KeyDates = new(s.KeyDates),
        Sites = new(s.Sites),
        SitesByState = new(s.SitesByState),
        SiteEventLiveCount = s.SiteEventLiveCount,
        SustainedSiteCount = s.SustainedSiteCount,
        EverLive = s.EverLive,
        LiveOutsideOrigin = s.LiveOutsideOrigin,
        ObservedLiveSites = s.ObservedLiveSites,
        EligiblePopulation = s.EligiblePopulation,
        EligibleUnit = s.EligibleUnit,
        Registered = s.Registered,
        PilotStarted = s.PilotStarted,
        Evidenced = s.Evidenced,
        SpreadProgrammeLaunched = s.SpreadProgrammeLaunched,
        MandatingLever = s.MandatingLever,
        Superseded = s.Superseded,
        Transferred = s.Transferred,
        Retired = s.Retired,
        Decisions = s.Decisions,
        Declines = s.Declines,
        FirstRecorded = s.FirstRecorded,
        LastNewLiveSite = s.LastNewLiveSite,
        Metrics = s.Metrics.ToDictionary(m => m.Key, m => new List<Observation>(m.Value)),
        Funding = [.. s.Funding],
        Barriers = [.. s.Barriers],
        OpenBarrierCount = s.OpenBarrierCount,
        DominoChanges = s.DominoChanges,
        EventCount = s.EventCount,
        LastEvent = s.LastEvent,
    };

    public static SiteAdoption Of(SiteAdoption s) => s.Copy();
}
