using System.Collections.Immutable;
using System.Text.Json.Serialization;
using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Domino;
using AdoptionEvents.Journeys.Levers;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.Resources;
using AdoptionEvents.Journeys.SiteAdoption;

namespace AdoptionEvents.Journeys;

/// <summary>
/// What decisions about one journey need, and nothing more: the ids of what is still open. It stays small
/// for a journey with thousands of sites: each site's state is its own <see cref="SiteStatus"/> document,
/// and <see cref="Sites"/> holds only the sites in play (the ones a batch of commands names, or every site
/// when a journey is folded in memory). Read models live elsewhere.
/// </summary>
public sealed record Journey
{
    public Guid Id { get; init; }

    public required string Name { get; init; }

    public bool Registered { get; init; }

    public bool Retired { get; init; }

    /// <summary>The states of the sites in play; never stored with the journey (see <see cref="SiteStatus"/>).</summary>
    [JsonIgnore]
    public ImmutableDictionary<Guid, SiteState> Sites { get; init; } = ImmutableDictionary<Guid, SiteState>.Empty;

    public ImmutableHashSet<Guid> OpenBarriers { get; init; } = [];

    public ImmutableHashSet<Guid> OpenTargets { get; init; } = [];

    public ImmutableHashSet<Guid> ActiveFunding { get; init; } = [];

    public ImmutableHashSet<Guid> ActiveProgrammes { get; init; } = [];

    public ImmutableHashSet<Guid> ActiveLinks { get; init; } = [];

    public ImmutableHashSet<Guid> Retracted { get; init; } = [];

    /// <summary>The tamper seal of the last event, which the next event's seal chains to.</summary>
    public string? LastHash { get; init; }

    public SiteState? SiteStateOf(Guid siteId) => Sites.TryGetValue(siteId, out var s) ? s : null;

    /// <summary>The state after one more event; pure, so a rebuild gives the same document.</summary>
    public static Journey? After(Journey? state, Guid eventId, JourneyEvent e)
    {
        if (state is null)
        {
            return e switch
            {
                NeedIdentified n => new Journey { Id = n.InnovationId, Name = n.Need },
                InnovationRegistered r => new Journey { Id = r.InnovationId, Name = r.Name, Registered = true },
                _ => null,
            };
        }

        return e switch
        {
            InnovationRegistered r => state with { Name = r.Name, Registered = true },
            InnovationRetired => state with { Retired = true },
            SiteEvent s when SiteTransitions.Next(state.SiteStateOf(s.SiteId), s) is ({ } next, null) =>
                state with { Sites = state.Sites.SetItem(s.SiteId, next) },
            BarrierEncountered => state with { OpenBarriers = state.OpenBarriers.Add(eventId) },
            BarrierResolved b => state with { OpenBarriers = state.OpenBarriers.Remove(b.BarrierEventId) },
            TargetSet => state with { OpenTargets = state.OpenTargets.Add(eventId) },
            TargetMet t => state with { OpenTargets = state.OpenTargets.Remove(t.TargetEventId) },
            TargetMissed t => state with { OpenTargets = state.OpenTargets.Remove(t.TargetEventId) },
            FundingSecured => state with { ActiveFunding = state.ActiveFunding.Add(eventId) },
            FundingEnded f => state with { ActiveFunding = state.ActiveFunding.Remove(f.FundingEventId) },
            SpreadProgrammeLaunched => state with { ActiveProgrammes = state.ActiveProgrammes.Add(eventId) },
            SpreadProgrammeEnded p => state with { ActiveProgrammes = state.ActiveProgrammes.Remove(p.ProgrammeEventId) },
            CausalLinkAsserted => state with { ActiveLinks = state.ActiveLinks.Add(eventId) },
            CausalLinkWithdrawn w => state with { ActiveLinks = state.ActiveLinks.Remove(w.LinkEventId) },
            EventRetracted r => Retract(state, r.RetractedEventId),
            _ => state,
        };
    }

    // A retracted barrier, target, funding, programme or link is no longer open.
    private static Journey Retract(Journey state, Guid id) => state with
    {
        Retracted = state.Retracted.Add(id),
        OpenBarriers = state.OpenBarriers.Remove(id),
        OpenTargets = state.OpenTargets.Remove(id),
        ActiveFunding = state.ActiveFunding.Remove(id),
        ActiveProgrammes = state.ActiveProgrammes.Remove(id),
        ActiveLinks = state.ActiveLinks.Remove(id),
    };
}
