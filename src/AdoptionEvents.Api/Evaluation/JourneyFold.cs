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
    private static readonly Dictionary<Guid, DateOnly> None = [];

    /// <summary>The midpoint of each fact whose date a correction recorded by K moved (<see cref="Over"/>): its occurred-by date is the corrected one.</summary>
    public IReadOnlyDictionary<Guid, DateOnly> Moved { get; init; } = None;

    /// <summary>
    /// Recorded-by applies to every event. Occurred-by applies to facts, at their date as corrected by K; a correction or
    /// retraction counts whenever it was recorded by K, because it says how the past really was.
    /// </summary>
    public bool Includes(IEvent e) =>
        (RecordedBy is null || e.Timestamp <= RecordedBy)
        && (OccurredBy is null || e.Data is EventCorrected or EventRetracted
            || (e.Data is JourneyEvent f && (Moved.Count > 0 && Moved.TryGetValue(e.Id, out var moved) ? moved : f.OccurredAt.Midpoint) <= OccurredBy));

    /// <summary>
    /// These axes over a journey's events: the dates its corrections recorded by K moved, each fact's date as its corrections leave it
    /// (<see cref="Amendments.Corrected"/>, so the cut reads the date every fold reads).
    /// </summary>
    public TimeAxes Over(IReadOnlyList<IEvent> events)
    {
        if (OccurredBy is null)
        {
            return this;
        }

        var amendments = Amendments.Of(events.Where(e => e.Data is EventCorrected or EventRetracted && (RecordedBy is null || e.Timestamp <= RecordedBy)));
        if (!amendments.HasCorrections)
        {
            return this;
        }

        Dictionary<Guid, DateOnly>? moved = null;
        foreach (var e in events)
        {
            if (e.Data is JourneyEvent fact && amendments.Corrected(e.Id, fact) is { } corrected && !ReferenceEquals(corrected, fact) && corrected.OccurredAt != fact.OccurredAt)
            {
                (moved ??= [])[e.Id] = corrected.OccurredAt.Midpoint;
            }
        }

        return moved is null ? this : this with { Moved = moved };
    }

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

    // Every applied fact in order: a retraction or correction folds the summary, the links and the domino events again from them, and
    // the change log needs only the domino events and their causes, so index entries are made on demand.
    private readonly List<IEvent> _facts;
    private readonly List<int> _domino;

    // The retractions and corrections met so far, and those known beforehand among the events this fold will be given: a fact is folded
    // as it stands after them. One known beforehand is folded so from the start, so meeting it folds nothing again (a fold of a journey
    // with R amendments costs one pass, not R).
    private readonly Amendments _amended;

    /// <summary>
    /// An empty fold. <paramref name="known"/>: the retractions and corrections among the events it will be given
    /// (<see cref="Amendments.Of(IEnumerable{IEvent})"/> them), when they are known beforehand; the fold is the same without.
    /// </summary>
    public JourneyFold(StageThresholds thresholds, Amendments? known = null)
    {
        _summary = new InnovationSummaryProjection(thresholds);
        _amended = known?.Copy() ?? new Amendments();
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
        _amended = from._amended.Copy();
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

        var target = Amendments.Target(fact);
        var amends = target != Guid.Empty && _amended.Add(e) && _facts.Exists(f => f.Id == target);
        _facts.Add(e);
        if (amends)
        {
            FoldAgain();
        }
        else
        {
            FoldFact(_facts.Count - 1);
        }

        // A retraction takes back a change of site state only where this fold applied it: an as-of view of a date before the
        // retracted event never did. The site's register document, whose last transition it would be, tells.
        var folded = fact switch
        {
            EventRetracted { SiteChange: { } change } r =>
                _bySite.TryGetValue(change.SiteId, out var register) && register.Transitions is [.., var last] && last.EventId == r.RetractedEventId,
            // Rare: a scan of the facts applied is cheaper than keeping an index of every staff training for it.
            EventRetracted { SiteFact: not null } r => _facts.Exists(f => f.Id == r.RetractedEventId),
            EventCorrected { SiteFact: not null } c => _facts.Exists(f => f.Id == c.CorrectedEventId),
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

            var next = _sites.Next(adoption, id, e);
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

        Applied++;
    }

    // The fact applied at `at`, as it stands: onto the summary, the funding by stage, the domino events and the links.
    private void FoldFact(int at)
    {
        var e = _facts[at];
        var standing = _amended.Standing(e);
        if (standing?.Data is FundingSecured funding)
        {
            Funding.Add((funding, Summary?.Stage ?? Stage.Need));
        }

        Summary = standing is null ? _summary.Evolve(Summary, e.StreamId, e, false) : _summary.Evolve(Summary, e.StreamId, standing, true);
        switch (standing?.Data)
        {
            case JourneyEvent fact when IsDomino(fact):
                _domino.Add(at);
                break;
            case CausalLinkAsserted link:
                Links[e.Id] = new CausalEdge { Id = e.Id, InnovationId = e.StreamId, Cause = link.CauseEventId, Effect = link.EffectEventId, AssertedAt = link.OccurredAt };
                break;
            case CausalLinkWithdrawn w when Links.TryGetValue(w.LinkEventId, out var edge):
                Links[w.LinkEventId] = edge with { WithdrawnAt = w.OccurredAt, WithdrawnBy = e.Id };
                break;
        }
    }

    /// <summary>
    /// The summary, the funding by stage, the domino events and the links folded again from the first event, each fact as it stands: a
    /// retraction or correction takes back or moves dates and flags first set by the fact it names, which only a fold of the facts as they
    /// stand tells. Rare, so its cost (a fold of the journey so far) is paid only by the amendment.
    /// </summary>
    private void FoldAgain()
    {
        Summary = null;
        Funding.Clear();
        _domino.Clear();
        Links.Clear();
        for (var at = 0; at < _facts.Count; at++)
        {
            FoldFact(at);
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
                if (position.TryGetValue(cause, out var c) && !_amended.Retracts(cause))
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

    // As the fact stands: a correction of its date, kind or summary shows in the change log.
    private IndexedEvent Indexed(int at) => IndexedEvent.Of(_facts[at].Id, _facts[at].StreamId, (JourneyEvent)(_amended.Standing(_facts[at]) ?? _facts[at]).Data);

    /// <summary>The facts <see cref="IndexedEvent.Of"/> gives a domino kind.</summary>
    private static bool IsDomino(JourneyEvent fact) => fact is DominoChangeObserved { Kind: not null } or NewNeedRevealed or RoleChanged or PathwayChanged or DerivedInnovationLaunched;

    public static JourneyFold Of(IEnumerable<IEvent> events, StageThresholds thresholds, TimeAxes? axes = null)
    {
        var all = events as IReadOnlyList<IEvent> ?? [.. events];
        var cut = axes?.Over(all);
        var included = all.Where(e => cut is null || cut.Includes(e)).ToList();
        var fold = new JourneyFold(thresholds, Amendments.Of(included));
        foreach (var e in included)
        {
            fold.Apply(e);
        }

        return fold;
    }
}
