using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
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
        var scratch = t_scratch ??= new Scratch();
        var data = scratch.Serialize(e.Data);
        if (!IsCanonical(data))
        {
            using var document = JsonDocument.Parse(data.ToArray());
            data = Encoding.UTF8.GetBytes(Canonical(document.RootElement));
        }

        var head = string.Join('\n', previous ?? "", e.StreamId.ToString("N"), e.Version, e.Id.ToString("N"), e.EventTypeName,
            e.UserName ?? "", e.CorrelationId ?? "", e.CausationId ?? "", "");
        var text = scratch.Text(Encoding.UTF8.GetByteCount(head) + data.Length);
        var written = Encoding.UTF8.GetBytes(head, text);
        data.CopyTo(text[written..]);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(text, digest);
        return Convert.ToHexStringLower(digest);
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

    // Serialising with members already in ordinal order makes the serialiser's output the canonical text
    // itself for almost every event; IsCanonical proves it per event, else Canonical rewrites it.
    private static readonly JsonSerializerOptions Ordered = new(Json.Options)
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { InOrdinalOrder } },
    };

    [ThreadStatic]
    private static Scratch? t_scratch;

    private static void InOrdinalOrder(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        var ordered = info.Properties.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        info.Properties.Clear();
        for (var i = 0; i < ordered.Count; i++)
        {
            ordered[i].Order = i;
            info.Properties.Add(ordered[i]);
        }
    }

    /// <summary>
    /// True when the JSON is what <see cref="Canonical"/> would write: every object's member names strictly
    /// ascending, and plain ASCII (so byte order is the ordinal order <see cref="Canonical"/> sorts by).
    /// Tokens are written the same way by the serialiser and by <see cref="Canonical"/> (compact, same encoder).
    /// </summary>
    private static bool IsCanonical(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        Span<int> previousStart = stackalloc int[66];
        Span<int> previousLength = stackalloc int[66];
        while (reader.Read())
        {
            var depth = reader.CurrentDepth;
            if (depth >= previousStart.Length - 1)
            {
                return false;
            }

            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    previousLength[depth + 1] = -1;
                    break;
                case JsonTokenType.PropertyName:
                    var name = reader.ValueSpan;
                    if (reader.ValueIsEscaped || !Ascii.IsValid(name))
                    {
                        return false;
                    }

                    var start = (int)reader.TokenStartIndex + 1;
                    if (previousLength[depth] >= 0 && name.SequenceCompareTo(json.Slice(previousStart[depth], previousLength[depth])) <= 0)
                    {
                        return false;
                    }

                    (previousStart[depth], previousLength[depth]) = (start, name.Length);
                    break;
            }
        }

        return true;
    }

    /// <summary>Buffers reused by one thread's seals.</summary>
    private sealed class Scratch
    {
        private readonly ArrayBufferWriter<byte> _json = new(4096);
        private byte[] _text = new byte[4096];

        public ReadOnlySpan<byte> Serialize(object data)
        {
            _json.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(_json))
            {
                JsonSerializer.Serialize(writer, data, data.GetType(), Ordered);
            }

            return _json.WrittenSpan;
        }

        public Span<byte> Text(int length)
        {
            if (_text.Length < length)
            {
                _text = new byte[Math.Max(length, _text.Length * 2)];
            }

            return _text.AsSpan(0, length);
        }
    }

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
