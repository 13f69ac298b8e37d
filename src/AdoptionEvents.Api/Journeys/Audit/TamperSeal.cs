using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AdoptionEvents.Hosting;
using JasperFx.Events;

namespace AdoptionEvents.Journeys.Audit;

/// <summary>
/// Tamper evidence: every journey event carries (header "hash") a SHA-256 over the previous event's
/// hash, its stream, version and id, its stored type, who recorded it, its correlation and causation
/// ids, and its data (occurredAt and provenance included) in canonical JSON. Changing any of these in
/// the database, or removing an event, breaks the chain from that event on. The recorded time is set
/// by the database on insert and so is outside the hash.
/// </summary>
public static class TamperSeal
{
    public const string Header = "hash";

    public static string Compute(string? previous, IEvent e)
    {
        var data = Canonical(JsonSerializer.SerializeToElement(e.Data, e.Data.GetType(), Json.Options));
        var text = string.Join('\n', previous ?? "", e.StreamId.ToString("N"), e.Version, e.Id.ToString("N"), e.EventTypeName,
            e.UserName ?? "", e.CorrelationId ?? "", e.CausationId ?? "", data);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>Seals events about to be appended, in order, after the stream's current version and hash.</summary>
    public static void Seal(IReadOnlyList<IEvent> events, long versionBefore, string? previousHash)
    {
        var previous = previousHash;
        for (var i = 0; i < events.Count; i++)
        {
            events[i].Version = versionBefore + i + 1;
            previous = Compute(previous, events[i]);
            events[i].SetHeader(Header, previous);
        }
    }

    public static string? HashOf(IEvent e) => e.GetHeader(Header)?.ToString();

    /// <summary>JSON with object members in ordinal order at every depth: PostgreSQL's jsonb does not keep member order.</summary>
    public static string Canonical(JsonElement element)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, element);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Write(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    Write(writer, property.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
