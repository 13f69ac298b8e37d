namespace AdoptionEvents.ReadModels.InnovationSummaries;

/// <summary>Where an innovation stands on its way from a need to sustained widespread use.</summary>
public enum Stage
{
    Need,
    Conceived,
    Piloting,
    Evidenced,
    EmbeddedAtOrigin,
    EarlySpread,
    Scaling,
    Widespread,
    Sustained,
}

public enum Overlay
{
    Stalled,
    Declined,
    Abandoned,
    Superseded,
    Transferred,
    Retired,
}

/// <summary>The thresholds of the stage rules (section "Stages"); every answer that shows a stage echoes them.</summary>
public sealed record StageThresholds
{
    /// <summary>Live share of the eligible population that makes an innovation Scaling (Rogers: innovators, 2.5 %).</summary>
    public decimal ScalingShare { get; init; } = 0.025m;

    /// <summary>Live share that makes it Widespread (innovators and early adopters, 16 %).</summary>
    public decimal WidespreadShare { get; init; } = 0.16m;

    /// <summary>Months without a new live site that, with an open barrier, make it Stalled.</summary>
    public int StallMonths { get; init; } = 12;

    /// <summary>Share of live sites with sustainment confirmed that makes a Widespread innovation Sustained.</summary>
    public decimal SustainedShare { get; init; } = 0.5m;

    /// <summary>National levers that mandate use, and so make an innovation Widespread on their own.</summary>
    public IReadOnlyList<string> MandatingLevers { get; init; } = ["mandate", "medtech_funding_mandate", "safety_alert"];

    /// <summary>
    /// The thresholds configured in the section, defaults for the rest. A configured lever list replaces the
    /// default one: the configuration binder would add its items to the defaults instead.
    /// </summary>
    public static StageThresholds From(IConfigurationSection section)
    {
        var bound = section.Get<StageThresholds>() ?? new StageThresholds();
        return section.GetSection(nameof(MandatingLevers)).Get<string[]>() is { } levers ? bound with { MandatingLevers = levers } : bound;
    }
}

/// <summary>
/// The stage rules of the domain brief, as pure functions of what a summary knows. The highest stage
/// whose condition holds wins: historical journeys often lack the early milestones.
/// </summary>
public static class StageRules
{
    public static Stage StageOf(InnovationSummary s, StageThresholds t)
    {
        var live = s.LiveSiteCount;
        var share = s.EligiblePopulation is > 0 ? live / (decimal)s.EligiblePopulation.Value : (decimal?)null;
        var widespread = share >= t.WidespreadShare || s.MandatingLever;
        if (widespread && s.SustainedSiteCount > 0 && s.SustainedSiteCount >= t.SustainedShare * s.SiteEventLiveCount)
        {
            return Stage.Sustained;
        }

        if (widespread)
        {
            return Stage.Widespread;
        }

        if (s.SpreadProgrammeLaunched || share >= t.ScalingShare)
        {
            return Stage.Scaling;
        }

        // Without a recorded origin, the first live site is taken as the origin.
        var spread = s.OriginOrganisationId is null ? s.SiteEventLiveCount > 1 : s.LiveOutsideOrigin > 0;
        if (spread || s.ObservedLiveSites > 1)
        {
            return Stage.EarlySpread;
        }

        if (live > 0)
        {
            return Stage.EmbeddedAtOrigin;
        }

        return s.Evidenced ? Stage.Evidenced
            : s.PilotStarted ? Stage.Piloting
            : s.Registered ? Stage.Conceived
            : Stage.Need;
    }

    /// <summary>Overlays that follow from the facts alone (Stalled also needs today: see <see cref="IsStalled"/>).</summary>
    public static List<Overlay> StandingOverlays(InnovationSummary s)
    {
        var overlays = new List<Overlay>();
        foreach (var overlay in StandingOrder)
        {
            if (Stands(s, overlay))
            {
                overlays.Add(overlay);
            }
        }

        return overlays;
    }

    /// <summary>Whether the summary's overlays are already exactly <see cref="StandingOverlays"/> (same overlays, same order), without building the list.</summary>
    public static bool HasStandingOverlays(InnovationSummary s)
    {
        var current = s.Overlays;
        if (current is null)
        {
            return false;
        }

        var i = 0;
        foreach (var overlay in StandingOrder)
        {
            if (Stands(s, overlay) && (i >= current.Count || current[i++] != overlay))
            {
                return false;
            }
        }

        return i == current.Count;
    }

    private static readonly Overlay[] StandingOrder = [Overlay.Declined, Overlay.Abandoned, Overlay.Superseded, Overlay.Transferred, Overlay.Retired];

    private static bool Stands(InnovationSummary s, Overlay overlay) => overlay switch
    {
        Overlay.Declined => s.Decisions > 0 && s.Decisions == s.Declines && s.EverLive == 0,
        Overlay.Abandoned => s.EverLive > 0 && s.LiveSiteCount == 0,
        Overlay.Superseded => s.Superseded,
        Overlay.Transferred => s.Transferred,
        Overlay.Retired => s.Retired,
        _ => false,
    };

    /// <summary>No new live site for StallMonths while an open barrier stands.</summary>
    public static bool IsStalled(InnovationSummary s, DateOnly today, StageThresholds t) =>
        s.OpenBarrierCount > 0 && !s.Retired && (s.LastNewLiveSite ?? s.FirstRecorded) is { } since && since <= StallCutoff(today, t);

    public static DateOnly StallCutoff(DateOnly today, StageThresholds t) => today.AddMonths(-t.StallMonths);
}
