using System.Text.Json;
using System.Text.Json.Serialization;
using AdoptionEvents.Hosting;
using AdoptionEvents.Journeys;
using JasperFx.Events;

namespace AdoptionEvents.Integration;

/// <summary>
/// A committed journey event as a CloudEvents 1.0 message (JSON structured mode). The extension
/// attributes carry the global position (<c>sequence</c>, the resume point), the position in the
/// innovation's stream, the correlation id and the event's family. <c>id</c> is the event id: a consumer
/// that has seen it already drops the duplicate (delivery is at least once).
/// </summary>
public sealed record CloudEvent(
    [property: JsonPropertyName("specversion")] string SpecVersion,
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("datacontenttype")] string DataContentType,
    [property: JsonPropertyName("data")] JsonElement Data,
    [property: JsonPropertyName("sequence")] long Sequence,
    [property: JsonPropertyName("streamversion")] long StreamVersion,
    [property: JsonPropertyName("family")] string Family,
    [property: JsonPropertyName("correlationid"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CorrelationId)
{
    public const string MediaType = "application/cloudevents+json";

    /// <summary>The RabbitMQ routing key: family, then type (e.g. site_adoption.service_went_live).</summary>
    [JsonIgnore]
    public string RoutingKey => $"{Family}.{Type}";
}

public static class CloudEvents
{
    public const string DefaultSource = "urn:adoption-events";

    private static readonly JsonSerializerOptions Wire = new(JsonSerializerDefaults.Web);

    /// <summary>The CloudEvent of a stored journey event; null for an event of another stream type (organisations).</summary>
    public static CloudEvent? From(IEvent e, string source)
    {
        if (e.Data is not JourneyEvent fact)
        {
            return null;
        }

        var entry = EventCatalogue.Of(fact);
        return new CloudEvent("1.0", e.Id, source, entry.Name, e.StreamId.ToString(), e.Timestamp, "application/json",
            JsonSerializer.SerializeToElement(fact, fact.GetType(), Json.Options), e.Sequence, e.Version, entry.Family, e.CorrelationId);
    }

    /// <summary>The message body exactly as webhooks, the live stream and the broker send it.</summary>
    public static string Serialize(CloudEvent cloudEvent) => JsonSerializer.Serialize(cloudEvent, Wire);

    public static bool Matches(this CloudEvent cloudEvent, IReadOnlyCollection<string> filter) =>
        filter.Count == 0 || filter.Contains(cloudEvent.Type) || filter.Contains(cloudEvent.Family + ".*");
}
