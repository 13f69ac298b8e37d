using System.Collections.Concurrent;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.SiteAdoption;

namespace AdoptionEvents.ReadModels.InnovationSummaries;

/// <summary>
/// <see cref="SiteTransitions.Next"/> remembered per site state, event type and (for a decision) outcome,
/// which is all its rule reads. The rule builds its arrays on every call, and folding a journey of
/// thousands of sites calls it for every site event: remembered, the summary's share of that cost goes.
/// </summary>
public static class SiteSteps
{
    private static readonly ConcurrentDictionary<(SiteState? State, Type Type, AdoptionOutcome? Outcome), SiteState?> Known = new();

    /// <summary>The site's state after the event; null when the event cannot follow the state or leaves a new site without one.</summary>
    public static SiteState? After(SiteState? state, SiteEvent e)
    {
        var key = (state, e.GetType(), (e as AdoptionDecided)?.Outcome);
        if (!Known.TryGetValue(key, out var after))
        {
            after = SiteTransitions.Next(state, e) is ({ } next, null) ? next : null;
            Known.TryAdd(key, after);
        }

        return after;
    }
}
