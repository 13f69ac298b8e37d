using System.Collections.Immutable;
using System.Text.Json;
using AdoptionEvents.Journeys.Barriers;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Domino;
using AdoptionEvents.Journeys.Levers;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.Resources;
using AdoptionEvents.Journeys.SiteAdoption;

namespace AdoptionEvents.Journeys.Recording;

/// <summary>An event already in the store, as far as a decision needs to know it: its journey, stored type name and the site it names, if any.</summary>
public sealed record KnownEvent(Guid Id, Guid InnovationId, string Type, Guid? SiteId = null)
{
    /// <summary>The fact itself, where a decision needs its content: an import's events, and a site fact a command retracts.</summary>
    public JourneyEvent? Fact { get; init; }

    /// <summary>Whether the event changed its site's state (aware ... discontinued): a retraction of it takes that change back.</summary>
    public bool MovesSiteState => SiteId is not null && EventCatalogue.Find(Type) is { } entry && SiteTransitions.MovesState(entry.Type);

    /// <summary>The event as a decision knows it, from the fact itself (an import's events, before they are stored).</summary>
    public static KnownEvent Of(Guid id, Guid innovationId, JourneyEvent fact) =>
        new(id, innovationId, EventCatalogue.Of(fact).Name, (fact as SiteEvent)?.SiteId) { Fact = fact };
}

/// <summary>
/// What the store knows beyond the journey's own state: the events and organisations a fact names,
/// and, for a causal link, every ancestor of its cause. Loaded by the shell before the decision.
/// </summary>
public sealed record DecisionContext(
    IReadOnlyDictionary<Guid, KnownEvent> Events,
    IReadOnlySet<Guid> Organisations,
    IReadOnlySet<Guid> AncestorsOfCause)
{
    public static readonly DecisionContext Empty = new(new Dictionary<Guid, KnownEvent>(), new HashSet<Guid>(), new HashSet<Guid>());

    /// <summary>
    /// Facts as corrections earlier in the same run left them, where they differ from <see cref="KnownEvent.Fact"/> (an import decides a
    /// file's corrections one after another; the shell reads a fact already as it stands).
    /// </summary>
    public IReadOnlyDictionary<Guid, JourneyEvent>? Amended { get; init; }

    /// <summary>The content of a known event as it stands, where it is known.</summary>
    public JourneyEvent? FactOf(Guid id) => Amended?.GetValueOrDefault(id) ?? Events.GetValueOrDefault(id)?.Fact;
}

public sealed record Decision(IReadOnlyList<JourneyEvent> Events, IReadOnlyList<Refusal> Refusals)
{
    public bool Refused => Refusals.Count > 0;

    public static Decision Accept(params JourneyEvent[] events) => new(events, []);

    public static Decision Refuse(IEnumerable<Refusal> refusals) => new([], [.. refusals]);
}

/// <summary>
/// Decides whether a fact may join a journey: a pure function of (fact, journey state, what the store
/// knows, now, user). It returns the events to append or every reason to refuse; it never touches
/// the database.
/// </summary>
public static class JourneyDecider
{
    public static Decision Start(JourneyEvent first, DecisionContext context, DateTimeOffset now, string user)
    {
        if (first is not (NeedIdentified or InnovationRegistered))
        {
            return Decision.Refuse([Refusal.BadInput("type", "journey-start",
                $"a journey starts with need_identified or innovation_registered, not {EventCatalogue.Of(first).Name}")]);
        }

        return Decide(null, first, context, now, user);
    }

    public static Decision Decide(Journey? journey, JourneyEvent fact, DecisionContext context, DateTimeOffset now, string user)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        var refusals = FieldRules.Check(fact, DateOnly.FromDateTime(now.UtcDateTime)).ToList();
        if (refusals.Count > 0)
        {
            return Decision.Refuse(refusals);
        }

        refusals.AddRange(References(fact, context));
        if (refusals.Count > 0)
        {
            return Decision.Refuse(refusals);
        }

        if (journey is not null)
        {
            refusals.AddRange(StateRules(journey, fact, context));
        }

        if (refusals.Count > 0)
        {
            return Decision.Refuse(refusals);
        }

        return (journey, fact) switch
        {
            (not null, EventRetracted retraction) => Retract(journey, retraction, context),
            (not null, EventCorrected correction) => Correct(correction, context, DateOnly.FromDateTime(now.UtcDateTime)),
            _ => Decision.Accept(fact),
        };
    }

    /// <summary>
    /// A correction names fields of the event's type, leaves its references and a site's decision as they are (<see cref="CorrectedFact.IsFixed"/>:
    /// to change them the fact is retracted and recorded again), and makes a fact that meets every rule a recorded one must, each refusal
    /// naming the changed field (<c>changes.occurredAt</c>). A correction of a site event says which site, and what the site register counted
    /// of the fact before and counts after (<see cref="EventCorrected.SiteFact"/>). Corrections and retractions themselves stand as recorded.
    /// </summary>
    private static Decision Correct(EventCorrected c, DecisionContext context, DateOnly today)
    {
        var known = context.Events[c.CorrectedEventId];
        if (EventCatalogue.Find(known.Type) is not { } entry)
        {
            return Decision.Refuse([Refusal.UnknownReference("correctedEventId", "event-type", $"event {c.CorrectedEventId} is a {known.Type}, which this version does not know")]);
        }

        if (entry.Type == typeof(EventCorrected) || entry.Type == typeof(EventRetracted))
        {
            return Decision.Refuse([Refusal.Conflict("correctedEventId", "correction-stands",
                $"event {c.CorrectedEventId} is {known.Type}, which stands as recorded: correct the original fact again, or retract it")]);
        }

        var fields = CorrectedFact.Fields(entry.Type);
        var refusals = c.Changes.Keys.Where(k => !fields.Contains(k) && k != "type")
            .Select(k => Refusal.BadInput($"changes.{k}", "known-field", $"{known.Type} has no field '{k}' (its fields: {string.Join(", ", fields.Order(StringComparer.Ordinal))})"))
            .Concat(c.Changes.Keys.Where(k => k != "innovationId" && k != "type" && CorrectedFact.IsFixed(entry.Type, k))
                .Select(k => Refusal.BadInput($"changes.{k}", "immutable", $"'{k}' of {known.Type} cannot be corrected: retract the event and record it again")))
            .ToList();
        if (refusals.Count > 0 || context.FactOf(c.CorrectedEventId) is not { } original)
        {
            return refusals.Count > 0 ? Decision.Refuse(refusals) : Decision.Accept(c);
        }

        JourneyEvent corrected;
        try
        {
            corrected = CorrectedFact.Apply(original, c.Changes);
        }
        catch (JsonException e)
        {
            var field = e.Path is { Length: > 2 } path ? path[2..] : string.Join(", ", c.Changes.Keys);
            return Decision.Refuse([Refusal.BadInput($"changes.{field}", "json", e.Message)]);
        }

        refusals.AddRange(FieldRules.Check(corrected, today).Select(r => r with { Field = $"changes.{r.Field}" }));
        if (refusals.Count > 0)
        {
            return Decision.Refuse(refusals);
        }

        var site = original is SiteEvent before ? new CorrectedSiteFact(before.SiteId)
        {
            Was = UndoneSiteFact.Of(before),
            Now = UndoneSiteFact.Of((SiteEvent)corrected),
        } : null;
        if (c.SiteFact is { } told && told != site)
        {
            return Decision.Refuse([Refusal.BadInput("siteFact", "set-by-store", site is null
                ? $"event {c.CorrectedEventId} is no site event: leave siteFact out"
                : "siteFact is worked out from the corrected event: leave it out")]);
        }

        return Decision.Accept(c with { SiteFact = site });
    }

    /// <summary>
    /// A retraction of an event that changed its site's state takes that change back, and says so (<see cref="EventRetracted.SiteChange"/>).
    /// Only the site's latest change that stands may be taken back, so the site returns to the state of the change before it: a
    /// go-live retracted while the site is sustained would leave a sustained site that never went live.
    /// </summary>
    private static Decision Retract(Journey journey, EventRetracted r, DecisionContext context)
    {
        var id = r.RetractedEventId;
        var known = context.Events[id];
        UndoneSiteChange? change = null;
        if (known.MovesSiteState && known.SiteId is { } site)
        {
            var moves = journey.Sites.TryGetValue(site, out var status) ? status.Moves : [];
            if (moves is not [.., var last] || moves.All(m => m.EventId != id))
            {
                // The shell reads the site's changes that stand before a retraction is decided: not there, nothing can be taken back.
                return Decision.Refuse([Refusal.Conflict("retractedEventId", "site-history", $"event {id} is not among the changes of site {site}'s state that stand")]);
            }

            if (last.EventId != id)
            {
                return Decision.Refuse([Refusal.Conflict("retractedEventId", "latest-site-change",
                    $"event {id} is not the latest change of site {site}'s state that stands: retract {last.EventId} (which made it {Name(last.State)}) first")]);
            }

            change = new UndoneSiteChange(site, last.State, moves.Count > 1 ? moves[^2].State : null);
        }

        if (r.SiteChange is { } given && given != change)
        {
            return Decision.Refuse([Refusal.BadInput("siteChange", "set-by-store", change is null
                ? $"event {id} changed no site's state: leave siteChange out"
                : $"siteChange is worked out from the retracted event: leave it out (here site {change.SiteId} goes back from {Name(change.From)} to {Name(change.To)})")]);
        }

        var fact = context.FactOf(id) is SiteEvent siteFact ? UndoneSiteFact.Of(siteFact) : null;
        if (r.SiteFact is { } told && told != fact)
        {
            return Decision.Refuse([Refusal.BadInput("siteFact", "set-by-store", fact is null
                ? $"event {id} is no site fact the register counts: leave siteFact out"
                : "siteFact is worked out from the retracted event: leave it out")]);
        }

        // A closing fact retracted: what it closed stands open again, unless that was retracted too.
        var reopens = context.FactOf(id) is { } closing && ReopenedFact.Of(closing) is { } closed && !journey.Ledger.Retracted.Contains(closed.EventId) ? closed : null;
        if (r.Reopens is { } opened && opened != reopens)
        {
            return Decision.Refuse([Refusal.BadInput("reopens", "set-by-store", reopens is null
                ? $"event {id} closed nothing that stands: leave reopens out"
                : "reopens is worked out from the retracted event: leave it out")]);
        }

        return Decision.Accept(r with { SiteChange = change, SiteFact = fact, Reopens = reopens });
    }

    private static string Name(SiteState? state) => state?.ToString().ToLowerInvariant() ?? "not yet known";

    private static IEnumerable<Refusal> References(JourneyEvent fact, DecisionContext context)
    {
        foreach (var (field, id) in fact.ReferencedOrganisations().Where(o => !context.Organisations.Contains(o.Id)))
        {
            yield return Refusal.UnknownReference(field, "known-organisation", $"organisation {id} is not registered");
        }

        foreach (var id in fact.ReferencedEvents().Distinct().Where(id => !context.Events.ContainsKey(id)))
        {
            yield return Refusal.UnknownReference(fact.CausedBy.Contains(id) ? "causedBy" : ReferenceField(fact, id), "known-event",
                $"event {id} is not in the store");
        }
    }

    private static IEnumerable<Refusal> StateRules(Journey journey, JourneyEvent fact, DecisionContext context)
    {
        if (journey.Retired && fact is not (EventCorrected or EventRetracted))
        {
            yield return Refusal.Conflict("type", "retired", $"'{journey.Name}' is retired: it takes only corrections and retractions");
            yield break;
        }

        var refusal = fact switch
        {
            SiteEvent s => SiteTransitions.Next(journey.SiteStateOf(s.SiteId), s) is (_, { } why)
                ? Refusal.Conflict("type", "site-transition", why) : null,
            BarrierResolved b => Open(journey.Ledger.OpenBarriers, b.BarrierEventId, "barrierEventId", "open-barrier", "barrier_encountered", context),
            TargetMet t => Open(journey.Ledger.OpenTargets, t.TargetEventId, "targetEventId", "open-target", "target_set", context),
            TargetMissed t => Open(journey.Ledger.OpenTargets, t.TargetEventId, "targetEventId", "open-target", "target_set", context),
            FundingEnded f => Open(journey.Ledger.ActiveFunding, f.FundingEventId, "fundingEventId", "active-funding", "funding_secured", context),
            SpreadProgrammeEnded p => Open(journey.Ledger.ActiveProgrammes, p.ProgrammeEventId, "programmeEventId", "active-programme", "spread_programme_launched", context),
            CausalLinkWithdrawn w => Open(journey.Ledger.ActiveLinks, w.LinkEventId, "linkEventId", "active-link", "causal_link_asserted", context),
            CausalLinkAsserted c when c.EffectEventId == c.CauseEventId || context.AncestorsOfCause.Contains(c.EffectEventId) =>
                Refusal.Conflict("effectEventId", "acyclic", $"event {c.EffectEventId} already leads to {c.CauseEventId}: the link would close a cycle"),
            EventCorrected c => OwnAndStanding(journey, c.CorrectedEventId, "correctedEventId", context),
            EventRetracted r => OwnAndStanding(journey, r.RetractedEventId, "retractedEventId", context) ?? Retractable(r.RetractedEventId, context),
            _ => null,
        };
        if (refusal is not null)
        {
            yield return refusal;
        }
    }

    private static Refusal? Open(ImmutableHashSet<Guid> open, Guid id, string field, string rule, string expectedType, DecisionContext context)
    {
        if (open.Contains(id))
        {
            return null;
        }

        return context.Events.TryGetValue(id, out var known) && known.Type != expectedType
            ? Refusal.UnknownReference(field, "event-type", $"event {id} is a {known.Type}, not a {expectedType}")
            : Refusal.Conflict(field, rule, $"event {id} is not an open {expectedType} of this journey");
    }

    private static Refusal? OwnAndStanding(Journey journey, Guid id, string field, DecisionContext context)
    {
        if (context.Events[id].InnovationId != journey.Id)
        {
            return Refusal.Conflict(field, "same-journey", $"event {id} belongs to another journey");
        }

        return journey.Ledger.Retracted.Contains(id) ? Refusal.Conflict(field, "not-retracted", $"event {id} was retracted") : null;
    }

    /// <summary>
    /// A retraction stands: retracting it again would bring back what it took back in every read model, with the rules of a site's
    /// changes (latest first) run backwards. A fact retracted in error is recorded again. A correction stands too: a correction made in
    /// error is corrected again, back to what the fact said, so every read model reads the fact as the corrections leave it. A
    /// registration stands: it names the origin, and the origin is one of the organisations whose programme leads may record for the
    /// journey; the decision state keeps the latest registration's origin, not the one before it, so a registration made in error is
    /// corrected (its name, type, conditions ...) or followed by a new registration naming the right origin.
    /// </summary>
    private static Refusal? Retractable(Guid id, DecisionContext context) => context.Events[id].Type switch
    {
        var type when type == RegistrationType =>
            Refusal.Conflict("retractedEventId", "registration-stands",
                $"event {id} registered the innovation, which stands: correct its fields, or record a new registration naming the right origin"),
        var type when type == RetractionType =>
            Refusal.Conflict("retractedEventId", "retraction-stands", $"event {id} is a retraction, which stands: to undo it, record the retracted fact again"),
        var type when type == CorrectionType =>
            Refusal.Conflict("retractedEventId", "correction-stands", $"event {id} is a correction, which stands: to undo it, correct the fact again with what it said"),
        _ => null,
    };

    private static readonly string RetractionType = EventCatalogue.NameOf(typeof(EventRetracted));
    private static readonly string RegistrationType = EventCatalogue.NameOf(typeof(InnovationRegistered));
    private static readonly string CorrectionType = EventCatalogue.NameOf(typeof(EventCorrected));

    private static string ReferenceField(JourneyEvent fact, Guid id) => fact switch
    {
        CausalLinkAsserted link when link.EffectEventId == id => "effectEventId",
        BarrierResolved => "barrierEventId",
        TargetMet or TargetMissed => "targetEventId",
        FundingEnded => "fundingEventId",
        SpreadProgrammeEnded => "programmeEventId",
        CausalLinkAsserted => "causeEventId",
        CausalLinkWithdrawn => "linkEventId",
        EventCorrected => "correctedEventId",
        EventRetracted => "retractedEventId",
        _ => "causedBy",
    };
}
