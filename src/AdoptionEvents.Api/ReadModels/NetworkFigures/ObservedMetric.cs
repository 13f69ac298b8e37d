using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Measures;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Projections;

namespace AdoptionEvents.ReadModels.NetworkFigures;

/// <summary>One metric observation, with corrections applied (its value, unit, date, scope ...) and retractions marked.</summary>
public sealed record ObservedMetric
{
    public Guid Id { get; init; }

    public Guid InnovationId { get; init; }

    public required string Metric { get; init; }

    public decimal Value { get; init; }

    public required string Unit { get; init; }

    public bool Cumulative { get; init; }

    public MeasureScope Scope { get; init; }

    public Guid? ScopeOrganisationId { get; init; }

    public required PartialDate OccurredAt { get; init; }

    public DateOnly Midpoint { get; init; }

    public bool Retracted { get; init; }
}

/// <summary>
/// Flat table of observations for the network figures; async across streams. It declares the only events it
/// reads, so the daemon loads just those for its shard instead of every page of every journey.
/// </summary>
public sealed class ObservedMetricProjection : ProjectionBase, IProjection
{
    public ObservedMetricProjection()
    {
        IncludeType<MetricObserved>();
        IncludeType<EventCorrected>();
        IncludeType<EventRetracted>();
    }

    public async Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        var batch = new Dictionary<Guid, ObservedMetric>();
        foreach (var e in events)
        {
            if (Target(e) is { } id && id != e.Id && !batch.ContainsKey(id) && await operations.LoadAsync<ObservedMetric>(id, cancellation) is { } stored)
            {
                batch[id] = stored;
            }

            if (Apply(batch, e) is { } changed)
            {
                operations.Store(changed);
            }
        }
    }

    /// <summary>The observation an event creates or changes (its own id for a new one), if any.</summary>
    public static Guid? Target(IEvent e) => e.Data switch
    {
        MetricObserved => e.Id,
        EventCorrected c => c.CorrectedEventId,
        EventRetracted r => r.RetractedEventId,
        _ => null,
    };

    /// <summary>
    /// One event applied to the observations known so far (those it targets must be in <paramref name="known"/>
    /// when stored); returns the observation it created or changed. Shared by the daemon and the read-model builder.
    /// </summary>
    public static ObservedMetric? Apply(Dictionary<Guid, ObservedMetric> known, IEvent e)
    {
        switch (e.Data)
        {
            case MetricObserved m:
                return known[e.Id] = Of(e.Id, e.StreamId, m);
            case EventCorrected c when known.TryGetValue(c.CorrectedEventId, out var found):
                // The observation as the fact it holds, corrected as the fact would be (CorrectedFact.Amended).
                var corrected = (MetricObserved)CorrectedFact.Amended(new MetricObserved
                {
                    InnovationId = found.InnovationId, Metric = found.Metric, Value = found.Value, Unit = found.Unit, Cumulative = found.Cumulative,
                    Scope = found.Scope, ScopeOrganisationId = found.ScopeOrganisationId, OccurredAt = found.OccurredAt, Provenance = Unsourced,
                }, [c.Changes]);
                return known[found.Id] = Of(found.Id, found.InnovationId, corrected) with { Retracted = found.Retracted };
            case EventRetracted r when known.TryGetValue(r.RetractedEventId, out var found):
                return known[found.Id] = found with { Retracted = true };
            default:
                return null;
        }
    }

    private static readonly Provenance Unsourced = new() { Basis = Basis.Stated };

    private static ObservedMetric Of(Guid id, Guid innovationId, MetricObserved m) => new()
    {
        Id = id, InnovationId = innovationId, Metric = m.Metric, Value = m.Value, Unit = m.Unit, Cumulative = m.Cumulative,
        Scope = m.Scope, ScopeOrganisationId = m.ScopeOrganisationId, OccurredAt = m.OccurredAt, Midpoint = m.OccurredAt.Midpoint,
    };
}
