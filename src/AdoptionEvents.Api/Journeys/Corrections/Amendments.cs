using System.Text.Json;
using AdoptionEvents.Hosting;
using JasperFx.Events;

namespace AdoptionEvents.Journeys.Corrections;

/// <summary>
/// What the retractions and corrections among a journey's events say of the facts before them: which are taken back, and how the
/// others should have been recorded. A fold that makes a read model reads each event as it stands (<see cref="Standing"/>), so
/// the read model after a retraction or correction is the read model of the journey as if the fact had been recorded right.
/// </summary>
public sealed class Amendments
{
    private readonly HashSet<Guid> _retracted;
    private readonly Dictionary<Guid, List<(Guid By, IReadOnlyDictionary<string, JsonElement> Changes)>> _corrections;

    public Amendments()
    {
        _retracted = [];
        _corrections = [];
    }

    private Amendments(Amendments from)
    {
        _retracted = [.. from._retracted];
        _corrections = from._corrections.ToDictionary(c => c.Key, c => c.Value.ToList());
    }

    /// <summary>The amendments among <paramref name="events"/>, in their order.</summary>
    public static Amendments Of(IEnumerable<IEvent> events)
    {
        var amendments = new Amendments();
        foreach (var e in events)
        {
            amendments.Add(e);
        }

        return amendments;
    }

    public IReadOnlySet<Guid> Retracted => _retracted;

    public bool IsEmpty => _retracted.Count == 0 && _corrections.Count == 0;

    /// <summary>Whether any correction was taken in.</summary>
    public bool HasCorrections => _corrections.Count > 0;

    /// <summary>Whether a correction names the event.</summary>
    public bool Corrects(Guid id) => _corrections.ContainsKey(id);

    public Amendments Copy() => new(this);

    /// <summary>The amendments among a journey's facts, in their order.</summary>
    public static Amendments Of(IEnumerable<(Guid Id, JourneyEvent Fact)> facts)
    {
        var amendments = new Amendments();
        foreach (var (id, fact) in facts)
        {
            amendments.Add(id, fact);
        }

        return amendments;
    }

    /// <summary>Takes in a retraction or correction; true when it is one not taken in before (a fold given it beforehand meets it again).</summary>
    public bool Add(IEvent e) => e.Data is JourneyEvent fact && Add(e.Id, fact);

    /// <summary>As <see cref="Add(IEvent)"/>, for the fact recorded as event <paramref name="id"/>.</summary>
    public bool Add(Guid id, JourneyEvent fact)
    {
        switch (fact)
        {
            case EventRetracted r:
                return _retracted.Add(r.RetractedEventId);
            case EventCorrected c:
                var list = _corrections.TryGetValue(c.CorrectedEventId, out var known) ? known : _corrections[c.CorrectedEventId] = [];
                if (list.Exists(x => x.By == id))
                {
                    return false;
                }

                list.Add((id, c.Changes));
                return true;
            default:
                return false;
        }
    }

    /// <summary>The event a retraction or correction names (empty for any other).</summary>
    public static Guid Target(JourneyEvent fact) => fact switch
    {
        EventRetracted r => r.RetractedEventId,
        EventCorrected c => c.CorrectedEventId,
        _ => Guid.Empty,
    };

    public bool Retracts(Guid id) => _retracted.Contains(id);

    /// <summary>
    /// The event as it stands: null when retracted; with its fact as corrected when corrected (<see cref="CorrectedFact.Amended"/>);
    /// else the event itself.
    /// </summary>
    public IEvent? Standing(IEvent e)
    {
        if (_retracted.Contains(e.Id))
        {
            return null;
        }

        if (!_corrections.ContainsKey(e.Id) || e.Data is not JourneyEvent fact)
        {
            return e;
        }

        var standing = EventWrapper.Of(Corrected(e.Id, fact));
        (standing.Id, standing.StreamId, standing.Version, standing.Sequence) = (e.Id, e.StreamId, e.Version, e.Sequence);
        (standing.Timestamp, standing.TenantId, standing.EventTypeName, standing.UserName) = (e.Timestamp, e.TenantId, e.EventTypeName, e.UserName);
        return standing;
    }

    /// <summary>The fact recorded as event <paramref name="id"/> as its corrections leave it, retracted or not (the event index keeps retracted facts).</summary>
    public JourneyEvent Corrected(Guid id, JourneyEvent fact) =>
        _corrections.TryGetValue(id, out var corrections)
            // A correction retracted (stored before a correction stood as recorded) corrects nothing.
            ? CorrectedFact.Amended(fact, corrections.Where(c => !_retracted.Contains(c.By)).Select(c => c.Changes))
            : fact;
}
