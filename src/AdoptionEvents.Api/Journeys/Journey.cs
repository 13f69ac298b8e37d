using System.Collections.Immutable;
using System.Text.Json.Serialization;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.Resources;
using AdoptionEvents.Journeys.SiteAdoption;

namespace AdoptionEvents.Journeys;

/// <summary>
/// What decisions about one journey need, and nothing more. The stored document stays small for a journey with
/// thousands of sites and barriers: each site's state is its own <see cref="SiteStatus"/> document, the facts that
/// stand open are the journey's <see cref="JourneyLedger"/>, and <see cref="Sites"/> and <see cref="Ledger"/> hold
/// only what is in play (what a batch of commands needs, or everything when a journey is folded in memory). Read
/// models live elsewhere.
/// </summary>
// A journey stored before its ledger moved out still loads, its sets passed over: rebuild the JourneyLedger projection once.
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Skip)]
public sealed record Journey
{
    public Guid Id { get; init; }

    public required string Name { get; init; }

    public bool Registered { get; init; }

    public bool Retired { get; init; }

    /// <summary>The retirement that stands, so that its retraction brings the journey back into use.</summary>
    public Guid? RetiredBy { get; init; }

    /// <summary>The sites in play, by site id; never stored with the journey (see <see cref="SiteStatus"/>).</summary>
    [JsonIgnore]
    public ImmutableDictionary<Guid, SiteStatus> Sites { get; init; } = ImmutableDictionary<Guid, SiteStatus>.Empty;

    /// <summary>
    /// The facts later facts close or retract while they stand; never stored with the journey (see <see cref="JourneyLedger"/>),
    /// and read only for the commands that need it (<see cref="JourneyLedger.IsReadBy"/>).
    /// </summary>
    [JsonIgnore]
    public JourneyLedger Ledger { get; init; } = JourneyLedger.Empty;

    /// <summary>The tamper seal of the last event, which the next event's seal chains to.</summary>
    public string? LastHash { get; init; }

    /// <summary>
    /// The organisations that support the innovation: its origin and every support organisation engaged by id whose engagement
    /// stands. A programme lead records for the journey when one of them is, or belongs to, an organisation of its token (see
    /// RecordingRights.CheckSupport).
    /// </summary>
    public ImmutableHashSet<Guid> Supporters { get; init; } = [];

    /// <summary>The origin organisation, as the latest registration names it.</summary>
    public Guid? Origin { get; init; }

    /// <summary>The engagements of a support organisation by id that stand: the organisation by the event that engaged it.</summary>
    public ImmutableDictionary<Guid, Guid> Engagements { get; init; } = ImmutableDictionary<Guid, Guid>.Empty;

    public SiteState? SiteStateOf(Guid siteId) => Sites.TryGetValue(siteId, out var s) ? s.State : null;

    /// <summary>The state after one more event; pure, so a rebuild gives the same document.</summary>
    public static Journey? After(Journey? state, Guid eventId, JourneyEvent e)
    {
        if (state is null)
        {
            return e switch
            {
                NeedIdentified n => new Journey { Id = n.InnovationId, Name = n.Need },
                InnovationRegistered r => Supported(new Journey { Id = r.InnovationId, Name = r.Name, Registered = true, Origin = r.OriginOrganisationId }),
                _ => null,
            };
        }

        return e switch
        {
            InnovationRegistered r => Supported(state with { Name = r.Name, Registered = true, Origin = r.OriginOrganisationId }),
            SupportOrganisationEngaged { OrganisationId: { } supporter } => Supported(state with { Engagements = state.Engagements.SetItem(eventId, supporter) }),
            InnovationRetired => state with { Retired = true, RetiredBy = eventId },
            SiteEvent s when state.Sites.GetValueOrDefault(s.SiteId) is var before && SiteStatus.After(before, eventId, s) is { } next && !ReferenceEquals(next, before) =>
                state with { Sites = state.Sites.SetItem(s.SiteId, next) },
            EventRetracted { SiteChange: { } change } r when state.Sites.TryGetValue(change.SiteId, out var site) =>
                state with { Sites = state.Sites.SetItem(change.SiteId, SiteStatus.After(site, eventId, r)!), Ledger = state.Ledger.After(eventId, e) },
            EventRetracted r when state.Engagements.ContainsKey(r.RetractedEventId) =>
                Supported(state with { Engagements = state.Engagements.Remove(r.RetractedEventId), Ledger = state.Ledger.After(eventId, e) }),
            EventRetracted r when r.RetractedEventId == state.RetiredBy => state with { Retired = false, RetiredBy = null, Ledger = state.Ledger.After(eventId, e) },
            _ when JourneyLedger.Changes(e) => state with { Ledger = state.Ledger.After(eventId, e) },
            _ => state,
        };
    }

    private static Journey Supported(Journey journey)
    {
        var supporters = journey.Origin is { } origin ? [origin, .. journey.Engagements.Values] : ImmutableHashSet.CreateRange(journey.Engagements.Values);
        return journey.Supporters.SetEquals(supporters) ? journey : journey with { Supporters = supporters };
    }
}
