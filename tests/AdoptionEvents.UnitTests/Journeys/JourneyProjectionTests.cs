using System.Text.Json;
using AdoptionEvents.Importing;
using AdoptionEvents.Importing.Synthetic;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Audit;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Journeys.SiteAdoption;
using JasperFx.Events;

namespace AdoptionEvents.UnitTests.Journeys;

/// <summary>The rebuild's fold of the journey decision state (<see cref="JourneyProjection.Stored"/>) against the inline projection's, event by event.</summary>
public class JourneyProjectionTests
{
    public static TheoryData<string> DataSets => ["large", "network"];

    [Theory]
    [MemberData(nameof(DataSets))]
    public void A_stream_folded_at_once_gives_the_document_the_inline_projection_stores_event_by_event(string dataSet)
    {
        var batch = dataSet == "large" ? LargeJourney.Generate(sites: 300, events: 3_000, seed: 5) : SyntheticNetwork.Generate(seed: 11);

        foreach (var journey in batch.Journeys.Take(40))
        {
            var events = Sealed(journey);
            var inline = events.Aggregate((Journey?)null, JourneyProjection.Next);

            var stored = JourneyProjection.Stored(events);

            stored.ShouldNotBeNull();
            Json(stored).ShouldBe(Json(inline!), journey.Key);
            stored.LastHash.ShouldBe(TamperSeal.HashOf(events[^1]));
        }
    }

    [Fact]
    public void A_stream_that_has_not_started_stores_nothing_and_one_that_starts_late_is_sealed_by_its_last_event()
    {
        var siteId = Guid.CreateVersion7();
        var innovationId = Guid.CreateVersion7();
        var provenance = new Provenance { Basis = Basis.Stated };
        var date = new PartialDate { Value = "2020", Precision = DatePrecision.Year };
        JourneyEvent early = new AdoptionDecided { InnovationId = innovationId, SiteId = siteId, Outcome = AdoptionOutcome.Adopt, OccurredAt = date, Provenance = provenance };
        JourneyEvent registered = new InnovationRegistered { InnovationId = innovationId, Name = "late start", InnovationType = "device", OccurredAt = date, Provenance = provenance };
        var journey = new ImportedJourney(innovationId, "late", "late start", [new ImportedEvent(Guid.CreateVersion7(), early, "1"), new ImportedEvent(Guid.CreateVersion7(), registered, "2")]);
        var events = Sealed(journey);

        JourneyProjection.Stored(events.Take(1)).ShouldBeNull();
        events.Take(1).Aggregate((Journey?)null, JourneyProjection.Next).ShouldBeNull();
        var stored = JourneyProjection.Stored(events);
        Json(stored!).ShouldBe(Json(events.Aggregate((Journey?)null, JourneyProjection.Next)!));
        stored!.LastHash.ShouldBe(TamperSeal.HashOf(events[1]));
    }

    private static List<IEvent> Sealed(ImportedJourney journey)
    {
        var events = journey.Events.Select((e, i) =>
        {
            var wrapped = (IEvent)Activator.CreateInstance(typeof(Event<>).MakeGenericType(e.Fact.GetType()), e.Fact)!;
            wrapped.Id = e.Id;
            wrapped.Version = i + 1;
            wrapped.StreamId = journey.InnovationId;
            wrapped.EventTypeName = EventCatalogue.Of(e.Fact).Name;
            return wrapped;
        }).ToList();
        TamperSeal.Seal(events, 0, null);
        return events;
    }

    private static string Json(Journey journey) => JsonSerializer.Serialize(journey, AdoptionEvents.Hosting.Json.Options);
}
