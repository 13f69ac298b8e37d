using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Domino;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.Journeys.Resources;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.ReadModels.SiteRegister;
using JasperFx.Events;

namespace AdoptionEvents.Evaluation;

/// <summary>Which events count on the two time axes: what had happened by D, what the record showed on K.</summary>
public sealed record TimeAxes(DateOnly? OccurredBy, DateTimeOffset? RecordedBy)
{
    /// <summary>
    /// Recorded-by applies to every event. Occurred-by applies to facts; a correction or retraction
    /// counts whenever it was recorded by K, because it says how the past really was.
    /// </summary>
    public bool Includes(IEvent e) =>
        (RecordedBy is null || e.Timestamp <= RecordedBy)
        && (OccurredBy is null || e.Data is EventCorrected or EventRetracted || (e.Data is JourneyEvent f && f.OccurredAt.Midpoint <= OccurredBy));

    /// <summary>The date to judge time-dependent overlays (Stalled) against.</summary>
    public DateOnly Today(DateOnly now) =>
        new[] { OccurredBy, RecordedBy is { } k ? DateOnly.FromDateTime(k.UtcDateTime) : null, now }.OfType<DateOnly>().Min();
}

/// <summary>A journey folded in memory through the same projections the daemon runs, on any subset of its events.</summary>
public sealed class JourneyFold
{
    private readonly InnovationSummaryProjection _summary;
    private readonly SiteAdoptionProjection _sites = new();

    // The register's document of each site by site id, so its id (a hash) is computed once per site, not per event.
    private readonly Dictionary<Guid, SiteAdoption> _bySite;

    // Sites whose document is shared with the fold this one was copied from (Copy): copied before their first change here.
    private readonly HashSet<Guid>? _shared;

    // Every applied fact in order: a retraction folds the summary again from them, and the change log needs only the domino events and
    // their causes, so index entries are made on demand.
    private readonly List<IEvent> _facts;
    private readonly List<int> _domino;

    // Every event retracted so far, and those known beforehand to be retracted by an event this fold will be given: left out of the
    // summary, the change log and its links. One known beforehand never enters the summary, so meeting its retraction folds nothing
    // again (a fold of a journey with R retractions costs one pass, not R).
    private readonly HashSet<Guid> _retracted;

    /// <summary>
    /// An empty fold. <paramref name="passedOver"/>: the events the retractions among the events it will be given take back
    /// (<see cref="InnovationSummaryProjection.Retracted"/> of them), when they are known beforehand; the fold is the same without.
    /// </summary>
    public JourneyFold(StageThresholds thresholds, IReadOnlySet<Guid>? passedOver = null)
    {
        _summary = new InnovationSummaryProjection(thresholds);
        _retracted = passedOver is null ? [] : [.. passedOver];
        _bySite = [];
        _facts = [];
        _domino = [];
        Sites = [];
        Links = [];
        Funding = [];
    }

    private JourneyFold(JourneyFold from)
    {
        // The projection keeps no state of its own: only the thresholds.
        _summary = from._summary;
        _retracted = [.. from._retracted];
        _bySite = new Dictionary<Guid, SiteAdoption>(from._bySite);
        _shared = [.. from._bySite.Keys];
        _facts = [.. from._facts];
        _domino = [.. from._domino];
        Summary = from.Summary is { } s ? FoldCopies.Of(s) : null;
        Sites = new Dictionary<Guid, SiteAdoption>(from.Sites);
        Links = new Dictionary<Guid, CausalEdge>(from.Links);
        Funding = [.. from.Funding];
        Applied = from.Applied;
    }

    public InnovationSummary? Summary { get; private set; }

    /// <summary>The site register of the journey, by document id (<see cref="SiteAdoption.IdFor"/>).</summary>
    public Dictionary<Guid, SiteAdoption> Sites { get; }

    public Dictionary<Guid, CausalEdge> Links { get; }

    /// <summary>Each funding secured, with the stage the journey had reached just before it.</summary>
    public List<(FundingSecured Funding, Stage StageBefore)> Funding { get; }

    public int Applied { get; private set; }

    /// <summary>
    /// A fold that goes on from this one's state and leaves this one as it is, so a fold kept as a checkpoint
    /// can start many. The summary is copied now; a site's document when the copy first changes it, so a
    /// copy costs the dictionaries and the list of facts, not 5,000 documents.
    /// </summary>
    public JourneyFold Copy() => new(this);

    public void Apply(IEvent e)
    {
        if (e.Data is not JourneyEvent fact)
        {
            return;
        }

        if (fact is EventRetracted retraction && _retracted.Add(retraction.RetractedEventId) && _facts.Exists(f => f.Id == retraction.RetractedEventId))
        {
            _facts.Add(e);
            FoldSummaryAgain();
            Links.Remove(retraction.RetractedEventId);
            _domino.RemoveAll(at => _facts[at].Id == retraction.RetractedEventId);
            if (Links.Values.FirstOrDefault(l => l.WithdrawnBy == retraction.RetractedEventId) is { } withdrawn)
            {
                Links[withdrawn.Id] = withdrawn with { WithdrawnAt = null, WithdrawnBy = null };
            }
        }
        else
        {
            _facts.Add(e);
            FoldSummary(e, fact, !_retracted.Contains(e.Id));
        }

        // A retraction takes back a change of site state only where this fold applied it: an as-of view of a date before the
        // retracted event never did. The site's register document, whose last transition it would be, tells.
        var folded = fact switch
        {
            EventRetracted { SiteChange: { } change } r =>
                _bySite.TryGetValue(change.SiteId, out var register) && register.Transitions is [.., var last] && last.EventId == r.RetractedEventId,
            // Rare: a scan of the facts applied is cheaper than keeping an index of every staff training for it.
            EventRetracted { SiteFact: not null } r => _facts.Exists(f => f.Id == r.RetractedEventId),
            _ => true,
        };
        if (SiteAdoptionProjection.SiteOf(fact) is { } siteId && (fact is SiteEvent || folded))
        {
            ref var adoption = ref CollectionsMarshal.GetValueRefOrAddDefault(_bySite, siteId, out var known);
            var id = known ? adoption!.Id : RegisterId(e.StreamId, siteId);
            if (known && _shared is not null && _shared.Remove(siteId))
            {
                adoption = FoldCopies.Of(adoption!);
                Sites[id] = adoption;
            }

            var next = _sites.Evolve(adoption, id, e);
            if (next is null)
            {
                // A site whose only change was retracted, with nothing else recorded, leaves the register.
                _bySite.Remove(siteId);
                Sites.Remove(id);
            }
            else if (!ReferenceEquals(next, adoption))
            {
                adoption = next;
                Sites[id] = next;
            }
        }

        if (IsDomino(fact) && !_retracted.Contains(e.Id))
        {
            _domino.Add(_facts.Count - 1);
        }

        switch (fact)
        {
            case CausalLinkAsserted or CausalLinkWithdrawn when _retracted.Contains(e.Id):
                break;
            case CausalLinkAsserted link:
                Links[e.Id] = new CausalEdge { Id = e.Id, InnovationId = e.StreamId, Cause = link.CauseEventId, Effect = link.EffectEventId, AssertedAt = link.OccurredAt };
                break;
            case CausalLinkWithdrawn w when Links.TryGetValue(w.LinkEventId, out var edge):
                Links[w.LinkEventId] = edge with { WithdrawnAt = w.OccurredAt, WithdrawnBy = e.Id };
                break;
        }

        Applied++;
    }

    private void FoldSummary(IEvent e, JourneyEvent fact, bool stands)
    {
        if (stands && fact is FundingSecured funding)
        {
            Funding.Add((funding, Summary?.Stage ?? Stage.Need));
        }

        Summary = _summary.Evolve(Summary, e.StreamId, e, stands);
    }

    /// <summary>
    /// The summary and the funding by stage folded again from the first event, passing over every event retracted so far: a retraction
    /// takes back dates and flags that were first set by the event it retracts, which only a fold without that event tells. Rare, so
    /// its cost (a fold of the journey so far) is paid only by the retraction.
    /// </summary>
    private void FoldSummaryAgain()
    {
        Summary = null;
        Funding.Clear();
        foreach (var e in _facts)
        {
            FoldSummary(e, (JourneyEvent)e.Data, !_retracted.Contains(e.Id));
        }
    }

    /// <summary>The index entries of the domino events applied that stand, in stream order.</summary>
    public List<IndexedEvent> DominoNodes() => [.. _domino.Select(Indexed)];

    /// <summary>The domino events of the journey that stand and every event of it they follow from, through causes and links that stand.</summary>
    public List<IndexedEvent> DominoNodesAndCauses()
    {
        var position = new Dictionary<Guid, int>(_facts.Count);
        for (var i = 0; i < _facts.Count; i++)
        {
            // As ToDictionary did: an id seen twice is an error, not a silent overwrite.
            position.Add(_facts[i].Id, i);
        }

        var linkedCauses = Links.Values.Where(l => l.WithdrawnAt is null).ToLookup(l => l.Effect, l => l.Cause);
        var found = new Dictionary<Guid, IndexedEvent>();
        var frontier = new Stack<int>(_domino);
        while (frontier.TryPop(out var at))
        {
            var (id, fact) = (_facts[at].Id, (JourneyEvent)_facts[at].Data);
            if (found.ContainsKey(id))
            {
                continue;
            }

            found.Add(id, Indexed(at));
            foreach (var cause in fact.CausedBy.Concat(linkedCauses[id]))
            {
                // A retracted cause is no longer part of the chain, nor what led to it.
                if (position.TryGetValue(cause, out var c) && !_retracted.Contains(cause))
                {
                    frontier.Push(c);
                }
            }
        }

        return [.. found.Values];
    }

    // The register's ids are a hash of (journey, site): remembered, so replaying a journey of thousands of sites does not hash them again.
    private const int RememberedIds = 200_000;
    private static readonly ConcurrentDictionary<(Guid Journey, Guid Site), Guid> RegisterIds = new();

    private static Guid RegisterId(Guid journey, Guid site)
    {
        if (RegisterIds.TryGetValue((journey, site), out var id))
        {
            return id;
        }

        id = SiteAdoption.IdFor(journey, site);
        if (RegisterIds.Count < RememberedIds)
        {
            RegisterIds.TryAdd((journey, site), id);
        }

        return id;
    }

    private IndexedEvent Indexed(int at) => IndexedEvent.Of(_facts[at].Id, _facts[at].StreamId, (JourneyEvent)_facts[at].Data);

    /// <summary>The facts <see cref="IndexedEvent.Of"/> gives a domino kind.</summary>
    private static bool IsDomino(JourneyEvent fact) => fact is DominoChangeObserved { Kind: not null } or NewNeedRevealed or RoleChanged or PathwayChanged or DerivedInnovationLaunched;

    public static JourneyFold Of(IEnumerable<IEvent> events, StageThresholds thresholds, TimeAxes? axes = null)
    {
        var included = events.Where(e => axes is null || axes.Includes(e)).ToList();
        var fold = new JourneyFold(thresholds, InnovationSummaryProjection.Retracted(included));
        foreach (var e in included)
        {
            fold.Apply(e);
        }

        return fold;
    }
}
