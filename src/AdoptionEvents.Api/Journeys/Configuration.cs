using AdoptionEvents.Journeys.Audit;
using AdoptionEvents.Journeys.Recording;
using AdoptionEvents.Journeys.SiteAdoption;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Aggregation;

namespace AdoptionEvents.Journeys;

public static class Configuration
{
    public static void ConfigureJourneys(this StoreOptions options)
    {
        foreach (var entry in EventCatalogue.Entries)
        {
            options.Events.MapEventType(entry.Type, entry.Name);
        }

        options.Projections.Add(new JourneyProjection(), ProjectionLifecycle.Inline);

        // A batch of commands fetches the journey once; the inline projection then applies the batch to that same
        // instance rather than loading the document again.
        options.Projections.UseIdentityMapForAggregates = true;
        options.Projections.Add(new SiteStatusProjection(), ProjectionLifecycle.Inline);
        options.Projections.Add(new JourneyLedgerProjection(), ProjectionLifecycle.Inline);
        options.Projections.Add(new EventIndexProjection(), ProjectionLifecycle.Inline);
        options.Schema.For<IndexedEvent>().Index(e => e.InnovationId);
        options.Schema.For<CausalEdge>().Index(e => e.Effect);
    }
}

/// <summary>The decision state of each journey, kept inline so a command reads its own write.</summary>
public sealed class JourneyProjection : SingleStreamProjection<Journey, Guid>
{
    public override Journey? Evolve(Journey? snapshot, Guid id, IEvent e) => Next(snapshot, e);

    /// <summary>The state after one stored event, its seal included: also how a batch of commands sees its own events.</summary>
    public static Journey? Next(Journey? state, IEvent e) =>
        e.Data is JourneyEvent fact ? Journey.After(state, e.Id, fact) is { } next ? next with { LastHash = TamperSeal.HashOf(e) } : null : state;

    /// <summary>
    /// The document <see cref="Next"/> stores after a stream's events, folded from nothing, for less: the sites'
    /// states are not part of the stored journey (<see cref="Journey.Sites"/>), so a site's event past the start
    /// changes nothing stored but the seal, and the seal is taken once, from the last event that counts. A rebuild
    /// folds every journey this way; only the last event of each stream needs its seal.
    /// </summary>
    public static Journey? Stored(IEnumerable<IEvent> stream)
    {
        Journey? state = null;
        IEvent? sealedBy = null;
        foreach (var e in stream)
        {
            if (e.Data is not JourneyEvent fact)
            {
                continue;
            }

            if (state is null || fact is not SiteEvent)
            {
                state = Journey.After(state, e.Id, fact);
            }

            sealedBy = state is null ? null : e;
        }

        return state is null ? null : state with { LastHash = TamperSeal.HashOf(sealedBy!) };
    }
}
