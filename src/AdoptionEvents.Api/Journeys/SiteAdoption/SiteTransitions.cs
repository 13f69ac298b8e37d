namespace AdoptionEvents.Journeys.SiteAdoption;

/// <summary>Where a site stands in Rogers' innovation-decision process.</summary>
public enum SiteState
{
    Aware,
    Considering,
    Adopting,
    Declined,
    Deferred,
    Implementing,
    Live,
    Sustained,
    Suspended,
    Discontinued,
}

/// <summary>
/// The site adoption state machine: Aware → Considering → Decided (adopt, declined, deferred) →
/// Implementing → Live → Sustained; Live ↔ Suspended; any live state → Discontinued. A site goes live
/// here (<see cref="ServiceWentLive"/>): only after a decision to adopt.
/// </summary>
public static class SiteTransitions
{
    private static readonly SiteState[] LiveStates = [SiteState.Live, SiteState.Sustained, SiteState.Suspended];
    private static readonly SiteState[] Committed = [SiteState.Adopting, SiteState.Implementing, SiteState.Live, SiteState.Sustained, SiteState.Suspended];

    /// <summary>The states an event may follow (null: the site may be new to the journey) and the state it leads to (null: unchanged).</summary>
    public static (SiteState?[] From, SiteState? To) Rule(SiteEvent e) => e switch
    {
        AdopterAware => ([null], SiteState.Aware),
        AdoptionConsidered => ([null, SiteState.Aware, SiteState.Deferred, SiteState.Declined], SiteState.Considering),
        AdoptionDecided d => ([null, SiteState.Aware, SiteState.Considering, SiteState.Deferred, SiteState.Declined], d.Outcome switch
        {
            AdoptionOutcome.Adopt => SiteState.Adopting,
            AdoptionOutcome.Decline => SiteState.Declined,
            _ => SiteState.Deferred,
        }),
        ImplementationStarted => ([SiteState.Adopting], SiteState.Implementing),
        ServiceWentLive => ([SiteState.Adopting, SiteState.Implementing], SiteState.Live),
        SustainmentConfirmed => ([SiteState.Live], SiteState.Sustained),
        AdoptionSuspended => ([SiteState.Live, SiteState.Sustained], SiteState.Suspended),
        AdoptionResumed => ([SiteState.Suspended], SiteState.Live),
        AdoptionDiscontinued => ([.. LiveStates.Cast<SiteState?>()], SiteState.Discontinued),
        UsageDropped => ([SiteState.Live, SiteState.Sustained], null),
        AdaptationMade or StaffTrained => ([.. Committed.Cast<SiteState?>()], null),
        CommissioningSecured => ([null, .. Committed.Cast<SiteState?>(), SiteState.Considering, SiteState.Aware], null),
        KnowledgeShared => ([.. Committed.Cast<SiteState?>(), SiteState.Discontinued], null),
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "not a site milestone"),
    };

    /// <summary>The site's next state, or why the event cannot follow the current one.</summary>
    public static (SiteState? Next, string? Refusal) Next(SiteState? current, SiteEvent e)
    {
        var (from, to) = Rule(e);
        if (!from.Contains(current))
        {
            var name = EventCatalogue.NameOf(e.GetType());
            var allowed = string.Join(", ", from.Select(s => s?.ToString().ToLowerInvariant() ?? "not yet known"));
            return (current, $"{name} cannot follow site state '{current?.ToString().ToLowerInvariant() ?? "not yet known"}' (allowed from: {allowed})");
        }

        return (to ?? current, null);
    }
}
