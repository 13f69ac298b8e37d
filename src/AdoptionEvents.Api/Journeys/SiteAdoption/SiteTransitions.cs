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
    // The "from" sets, made once: Next runs for every site event of every command, fold and projection.
    private static readonly SiteState?[] New = [null];
    private static readonly SiteState?[] BeforeConsidering = [null, SiteState.Aware, SiteState.Deferred, SiteState.Declined];
    private static readonly SiteState?[] BeforeDecision = [null, SiteState.Aware, SiteState.Considering, SiteState.Deferred, SiteState.Declined];
    private static readonly SiteState?[] Adopting = [SiteState.Adopting];
    private static readonly SiteState?[] BeforeLive = [SiteState.Adopting, SiteState.Implementing];
    private static readonly SiteState?[] Live = [SiteState.Live];
    private static readonly SiteState?[] LiveOrSustained = [SiteState.Live, SiteState.Sustained];
    private static readonly SiteState?[] Suspended = [SiteState.Suspended];
    private static readonly SiteState?[] LiveStates = [SiteState.Live, SiteState.Sustained, SiteState.Suspended];
    private static readonly SiteState?[] Committed = [SiteState.Adopting, SiteState.Implementing, SiteState.Live, SiteState.Sustained, SiteState.Suspended];
    private static readonly SiteState?[] CommissioningFrom = [null, .. Committed, SiteState.Considering, SiteState.Aware];
    private static readonly SiteState?[] SharingFrom = [.. Committed, SiteState.Discontinued];

    /// <summary>The states an event may follow (null: the site may be new to the journey) and the state it leads to (null: unchanged).</summary>
    public static (SiteState?[] From, SiteState? To) Rule(SiteEvent e) => e switch
    {
        AdopterAware => (New, SiteState.Aware),
        AdoptionConsidered => (BeforeConsidering, SiteState.Considering),
        AdoptionDecided d => (BeforeDecision, d.Outcome switch
        {
            AdoptionOutcome.Adopt => SiteState.Adopting,
            AdoptionOutcome.Decline => SiteState.Declined,
            _ => SiteState.Deferred,
        }),
        ImplementationStarted => (Adopting, SiteState.Implementing),
        ServiceWentLive => (BeforeLive, SiteState.Live),
        SustainmentConfirmed => (Live, SiteState.Sustained),
        AdoptionSuspended => (LiveOrSustained, SiteState.Suspended),
        AdoptionResumed => (Suspended, SiteState.Live),
        AdoptionDiscontinued => (LiveStates, SiteState.Discontinued),
        UsageDropped => (LiveOrSustained, null),
        AdaptationMade or StaffTrained => (Committed, null),
        CommissioningSecured => (CommissioningFrom, null),
        KnowledgeShared => (SharingFrom, null),
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "not a site milestone"),
    };

    /// <summary>Whether the event sets its site's state (aware, considered, decided ... discontinued), as every one of its type does.</summary>
    public static bool MovesState(SiteEvent e) => MovingTypes.Contains(e.GetType());

    /// <summary>Whether events of the type set their site's state (see <see cref="MovesState(SiteEvent)"/>).</summary>
    public static bool MovesState(Type type) => MovingTypes.Contains(type);

    // The types whose rule has a state to lead to (Rule(e).To is never null for them).
    private static readonly HashSet<Type> MovingTypes =
    [
        typeof(AdopterAware), typeof(AdoptionConsidered), typeof(AdoptionDecided), typeof(ImplementationStarted), typeof(ServiceWentLive),
        typeof(SustainmentConfirmed), typeof(AdoptionSuspended), typeof(AdoptionResumed), typeof(AdoptionDiscontinued),
    ];

    /// <summary>The site's next state, or why the event cannot follow the current one.</summary>
    public static (SiteState? Next, string? Refusal) Next(SiteState? current, SiteEvent e)
    {
        var (from, to) = Rule(e);
        if (Array.IndexOf(from, current) < 0)
        {
            var name = EventCatalogue.NameOf(e.GetType());
            var allowed = string.Join(", ", from.Select(s => s?.ToString().ToLowerInvariant() ?? "not yet known"));
            return (current, $"{name} cannot follow site state '{current?.ToString().ToLowerInvariant() ?? "not yet known"}' (allowed from: {allowed})");
        }

        return (to ?? current, null);
    }
}
