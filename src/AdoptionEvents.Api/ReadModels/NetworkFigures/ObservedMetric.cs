using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Measures;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace AdoptionEvents.ReadModels.NetworkFigures;

/// <summary>One metric observation, with corrections applied and retractions marked.</summary>
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

/// <summary>Flat table of observations for the network figures; async across streams.</summary>
public sealed class ObservedMetricProjection : IProjection
{
    public async Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        var batch = new Dictionary<Guid, ObservedMetric>();
        foreach (var e in events)
        {
            switch (e.Data)
            {
                case MetricObserved m:
                    batch[e.Id] = new ObservedMetric
                    {
                        Id = e.Id, InnovationId = e.StreamId, Metric = m.Metric, Value = m.Value, Unit = m.Unit, Cumulative = m.Cumulative,
                        Scope = m.Scope, ScopeOrganisationId = m.ScopeOrganisationId, OccurredAt = m.OccurredAt, Midpoint = m.OccurredAt.Midpoint,
                    };
                    operations.Store(batch[e.Id]);
                    break;
                case EventCorrected c when c.Changes.TryGetValue("value", out var v) && v.TryGetDecimal(out var value):
                    await UpdateAsync(operations, batch, c.CorrectedEventId, o => o with { Value = value }, cancellation);
                    break;
                case EventRetracted r:
                    await UpdateAsync(operations, batch, r.RetractedEventId, o => o with { Retracted = true }, cancellation);
                    break;
            }
        }
    }

    private static async Task UpdateAsync(IDocumentOperations operations, Dictionary<Guid, ObservedMetric> batch, Guid id, Func<ObservedMetric, ObservedMetric> change, CancellationToken ct)
    {
        if ((batch.GetValueOrDefault(id) ?? await operations.LoadAsync<ObservedMetric>(id, ct)) is { } found)
        {
            batch[id] = change(found);
            operations.Store(batch[id]);
        }
    }
}
