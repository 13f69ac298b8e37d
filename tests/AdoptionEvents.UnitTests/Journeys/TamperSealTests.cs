using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AdoptionEvents.Hosting;
using AdoptionEvents.Importing;
using AdoptionEvents.Importing.Synthetic;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Audit;
using AdoptionEvents.Journeys.Corrections;
using AdoptionEvents.Journeys.Evidence;
using AdoptionEvents.Journeys.Origin;
using JasperFx.Events;

namespace AdoptionEvents.UnitTests.Journeys;

public class TamperSealTests
{
    /// <summary>The seal as first defined (and as stored data was sealed): the data serialised, then rewritten canonically.</summary>
    private static string Reference(string? previous, IEvent e)
    {
        var data = TamperSeal.Canonical(JsonSerializer.SerializeToElement(e.Data, e.Data.GetType(), Json.Options));
        var text = string.Join('\n', previous ?? "", e.StreamId.ToString("N"), e.Version, e.Id.ToString("N"), e.EventTypeName,
            e.UserName ?? "", e.CorrelationId ?? "", e.CausationId ?? "", data);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    private static IEvent Wrap(JourneyEvent fact, long version, Guid id)
    {
        var e = (IEvent)Activator.CreateInstance(typeof(Event<>).MakeGenericType(fact.GetType()), fact)!;
        e.Id = id;
        e.Version = version;
        e.StreamId = fact.InnovationId;
        e.EventTypeName = EventCatalogue.Of(fact).Name;
        e.UserName = "sealer";
        e.CorrelationId = "import";
        e.CausationId = "import";
        return e;
    }

    public static TheoryData<string> DataSets => ["synthetic", "demo"];

    [Theory]
    [MemberData(nameof(DataSets))]
    public void Every_event_of_a_data_set_is_sealed_as_the_first_definition_of_the_seal_sealed_it(string dataSet)
    {
        var batch = dataSet == "synthetic" ? SyntheticNetwork.Generate(seed: 11) : DemoData.Batch();
        var checkedEvents = 0;
        foreach (var journey in batch.Journeys)
        {
            string? previous = null;
            for (var i = 0; i < journey.Events.Count; i++)
            {
                var e = Wrap(journey.Events[i].Fact with { InnovationId = journey.InnovationId }, i + 1, journey.Events[i].Id);
                var seal = TamperSeal.Compute(previous, e);
                seal.ShouldBe(Reference(previous, e), $"{journey.Key} event {i + 1} ({e.EventTypeName})");
                previous = seal;
                checkedEvents++;
            }
        }

        checkedEvents.ShouldBeGreaterThan(100);
    }

    [Fact]
    public void Dictionaries_and_nested_JSON_in_any_member_order_are_sealed_in_canonical_order()
    {
        var extra = JsonDocument.Parse("""{"zeta": {"b": 1, "a": [{"y": true, "x": null}]}, "Alpha": "é ünïcode \u2028", "alpha": 2.50, "ключ": "значение"}""").RootElement;
        var facts = new JourneyEvent[]
        {
            Facts.Fact(new EventCorrected
            {
                CorrectedEventId = Facts.Site, Reason = "typo", OccurredAt = Facts.Day("2024-03-01"), Provenance = Facts.Stated,
                Changes = new Dictionary<string, JsonElement> { ["summary"] = extra.GetProperty("Alpha"), ["occurredAt"] = extra.GetProperty("zeta") },
            }),
            Facts.Fact(new ComplexityAssessed
            {
                OccurredAt = Facts.Day("2024-03-01"), Provenance = Facts.Stated,
                Domains = new Dictionary<string, Complexity> { ["technology"] = Complexity.Complex, ["condition"] = Complexity.Simple },
            }),
            Facts.Fact(new NeedIdentified
            {
                Need = "a need with \"quotes\", <html> & non-ASCII: café", OccurredAt = Facts.Day("2020-01-01"), Provenance = Facts.Stated,
                Summary = "line\nbreak", Extra = extra.EnumerateObject().ToDictionary(p => p.Name, p => p.Value),
            }),
        };

        string? previous = null;
        foreach (var (fact, i) in facts.Select((f, i) => (f, i)))
        {
            var e = Wrap(fact, i + 1, Guid.CreateVersion7(Facts.Now));
            var seal = TamperSeal.Compute(previous, e);
            seal.ShouldBe(Reference(previous, e), e.EventTypeName);
            previous = seal;
        }
    }
}
