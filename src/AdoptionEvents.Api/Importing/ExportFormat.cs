using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using AdoptionEvents.Hosting;
using AdoptionEvents.Journeys;
using AdoptionEvents.Journeys.Origin;
using AdoptionEvents.Organisations;

namespace AdoptionEvents.Importing;

/// <summary>
/// The product's own export format, NDJSON: one JSON object per line, one line per event, streams in
/// order of version. A journey event's line:
/// <code>{"innovationId": guid, "eventId": guid, "version": n, "type": stored name, "data": the event JSON as the API shows it,
///  "occurredAt": {"value", "precision"}, "recordedAt": ISO timestamp, "recordedBy": user}</code>
/// An organisation's event (reference data the journeys name) has "organisationId" instead of
/// "innovationId" and an organisation event type (organisation_registered, organisation_renamed,
/// organisation_membership_started, organisation_membership_ended, organisation_succeeded). Organisation
/// lines come first. This file is the one reader and writer of the format.
/// </summary>
public static class ExportFormat
{
    public const string Format = "export-ndjson";

    private static readonly Dictionary<string, Type> OrganisationTypes = new()
    {
        ["organisation_registered"] = typeof(OrganisationRegistered),
        ["organisation_renamed"] = typeof(OrganisationRenamed),
        ["organisation_membership_started"] = typeof(MembershipStarted),
        ["organisation_membership_ended"] = typeof(MembershipEnded),
        ["organisation_succeeded"] = typeof(OrganisationSucceeded),
    };

    /// <summary>
    /// Lines are independent until they are grouped into streams, so they are parsed on every core and
    /// then merged in line order: the batch (stream order, origins, problems) is the same as a line-by-line read.
    /// </summary>
    private static ImportBatch Read(byte[] content)
    {
        var lines = Lines(content);
        var parsed = new ParsedLine[lines.Count];
        Parallel.ForEach(Partitioner.Create(0, lines.Count, Math.Max(256, lines.Count / (8 * Environment.ProcessorCount))), range =>
        {
            for (var i = range.Item1; i < range.Item2; i++)
            {
                parsed[i] = ParseLine(content.AsMemory(lines[i].Start, lines[i].Length), i + 1);
            }
        });

        var problems = new List<ImportProblem>();
        var journeys = new Dictionary<Guid, List<(long Version, ImportedEvent Event)>>();
        var organisations = new Dictionary<Guid, List<(long Version, object Event, string Where)>>();
        foreach (var line in parsed)
        {
            if (line.Problems is { } found)
            {
                problems.AddRange(found);
            }
            else if (line.Event is ImportedEvent imported)
            {
                (journeys.TryGetValue(line.Stream, out var list) ? list : journeys[line.Stream] = []).Add((line.Version, imported));
            }
            else if (line.Event is { } orgEvent)
            {
                (organisations.TryGetValue(line.Stream, out var list) ? list : organisations[line.Stream] = []).Add((line.Version, orgEvent, line.Where!));
            }
        }

        foreach (var (id, events) in journeys)
        {
            CheckVersions(id, events.Select(e => (e.Version, e.Event.Origin)), problems);
        }

        foreach (var (id, events) in organisations)
        {
            CheckVersions(id, events.Select(e => (e.Version, e.Where)), problems);
        }

        return new ImportBatch(
            Format,
            [.. organisations.Select(o => Organisation(o.Key, [.. o.Value.OrderBy(e => e.Version)], problems)).OfType<ImportedOrganisation>()],
            [.. journeys.Select(j =>
            {
                var events = j.Value.OrderBy(e => e.Version).Select(e => e.Event).ToList();
                var name = events.Select(e => e.Fact).OfType<InnovationRegistered>().Select(r => r.Name).FirstOrDefault()
                    ?? events.Select(e => e.Fact).OfType<NeedIdentified>().Select(r => r.Need).FirstOrDefault() ?? j.Key.ToString();
                return new ImportedJourney(j.Key, j.Key.ToString(), name, events);
            })],
            problems);
    }

    /// <summary>What one line holds: problems, or an event of a stream (an <see cref="ImportedEvent"/> or an organisation's event), or nothing (blank).</summary>
    private readonly record struct ParsedLine(ImportProblem[]? Problems, Guid Stream, long Version, object? Event, string? Where);

    private static ParsedLine ParseLine(ReadOnlyMemory<byte> text, int lineNumber)
    {
        if (IsBlank(text.Span))
        {
            return default;
        }

        if (!Utf8.IsValid(text.Span))
        {
            // As a text reader would have read it: invalid bytes become U+FFFD.
            text = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(text.Span));
        }

        return ReadWellFormed(text, lineNumber) ?? ReadAnyLine(text, lineNumber);
    }

    /// <summary>
    /// The common case in one forward pass over the line (no document built, the data deserialised from
    /// its own bytes): an event line that reads without a problem. Anything else is null, and
    /// <see cref="ReadAnyLine"/> reads the line again to report its problems.
    /// </summary>
    private static ParsedLine? ReadWellFormed(ReadOnlyMemory<byte> text, int lineNumber)
    {
        try
        {
            var reader = new Utf8JsonReader(text.Span);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            string? type = null, recordedBy = null;
            Guid? eventId = null, innovationId = null, organisationId = null;
            long? version = null;
            DateTimeOffset? recordedAt = null;
            (int Start, int End)? data = null;

            // A member named twice counts as its last value, as a document's lookup reads it.
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueIsEscaped)
                {
                    return null;
                }

                var name = reader.ValueSpan;
                reader.Read();
                if (name.SequenceEqual("data"u8))
                {
                    var start = (int)reader.TokenStartIndex;
                    var isObject = reader.TokenType == JsonTokenType.StartObject;
                    reader.Skip();
                    data = isObject ? (start, (int)reader.BytesConsumed) : null;
                }
                else if (name.SequenceEqual("type"u8))
                {
                    type = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (name.SequenceEqual("eventId"u8))
                {
                    eventId = IdOf(ref reader);
                }
                else if (name.SequenceEqual("innovationId"u8))
                {
                    innovationId = IdOf(ref reader);
                }
                else if (name.SequenceEqual("organisationId"u8))
                {
                    organisationId = IdOf(ref reader);
                }
                else if (name.SequenceEqual("version"u8))
                {
                    version = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n) ? n : null;
                }
                else if (name.SequenceEqual("recordedAt"u8))
                {
                    recordedAt = reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var at) ? at : null;
                }
                else if (name.SequenceEqual("recordedBy"u8))
                {
                    recordedBy = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else
                {
                    reader.Skip();
                }
            }

            // Nothing may follow the object (the reader throws on a second value or stray text).
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || type is null || eventId is null || version is null || data is not { } body)
            {
                return null;
            }

            var json = text.Span[body.Start..body.End];
            var where = $"line {lineNumber} (event {eventId})";
            if (organisationId is { } organisation)
            {
                return OrganisationTypes.TryGetValue(type, out var orgType) && JsonSerializer.Deserialize(json, orgType, Json.Options) is { } orgEvent
                    ? new ParsedLine(null, organisation, version.Value, orgEvent, where)
                    : null;
            }

            if (innovationId is not { } innovation || EventCatalogue.Find(type) is not { } entry || JsonSerializer.Deserialize(json, entry.Type, Json.Options) is not JourneyEvent fact)
            {
                return null;
            }

            var imported = new ImportedEvent(eventId.Value, fact with { InnovationId = innovation }, where) { RecordedAt = recordedAt, RecordedBy = recordedBy };
            return new ParsedLine(null, innovation, version.Value, imported, where);
        }
        catch (JsonException)
        {
            return null;
        }

        static Guid? IdOf(ref Utf8JsonReader reader) =>
            reader.TokenType == JsonTokenType.String && Guid.TryParse(reader.GetString(), out var g) ? g : null;
    }

    /// <summary>Any line, read as a document: the event it holds, or every problem it has.</summary>
    private static ParsedLine ReadAnyLine(ReadOnlyMemory<byte> text, int lineNumber)
    {
        var where = $"line {lineNumber}";
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            return Problem(new ImportProblem(where, "", "json", $"not valid JSON: {e.Message}"));
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Problem(new ImportProblem(where, "", "json", "every line is one JSON object"));
            }

            var type = Text(root, "type");
            var eventId = Id(root, "eventId");
            var version = root.TryGetProperty("version", out var v) && v.TryGetInt64(out var n) ? n : (long?)null;
            var hasData = root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object;
            var missing = new[] { ("type", type is null), ("eventId", eventId is null), ("version", version is null), ("data", !hasData) }
                .Where(x => x.Item2).Select(x => x.Item1).ToList();
            if (missing.Count > 0)
            {
                return new ParsedLine([.. missing.Select(field => new ImportProblem(where, field, "required", $"{field} is missing or has the wrong JSON type"))], default, 0, null, null);
            }

            where = $"line {lineNumber} (event {eventId})";
            var problems = new List<ImportProblem>();
            if (Id(root, "organisationId") is { } organisationId)
            {
                if (!OrganisationTypes.TryGetValue(type!, out var orgType))
                {
                    return Problem(new ImportProblem(where, "type", "known-type", $"'{type}' is not an organisation event type ({string.Join(", ", OrganisationTypes.Keys)})"));
                }

                return Deserialize(data, orgType, where, problems) is { } orgEvent ? new ParsedLine(null, organisationId, version!.Value, orgEvent, where) : new ParsedLine([.. problems], default, 0, null, null);
            }

            if (Id(root, "innovationId") is not { } innovationId)
            {
                return Problem(new ImportProblem(where, "innovationId", "required", "a line names its stream in innovationId (or organisationId)"));
            }

            if (EventCatalogue.Find(type!) is not { } entry)
            {
                return Problem(new ImportProblem(where, "type", "known-type", $"'{type}' is not a journey event type (see GET /api/vocabularies)"));
            }

            if (Deserialize(data, entry.Type, where, problems) is JourneyEvent fact)
            {
                var imported = new ImportedEvent(eventId!.Value, fact with { InnovationId = innovationId }, where)
                {
                    RecordedAt = root.TryGetProperty("recordedAt", out var ra) && ra.ValueKind == JsonValueKind.String && ra.TryGetDateTimeOffset(out var at) ? at : null,
                    RecordedBy = Text(root, "recordedBy"),
                };
                return new ParsedLine(null, innovationId, version!.Value, imported, where);
            }

            return problems.Count > 0 ? new ParsedLine([.. problems], default, 0, null, null) : default;
        }

        static ParsedLine Problem(ImportProblem problem) => new([problem], default, 0, null, null);
    }

    /// <summary>Blank as <see cref="string.IsNullOrWhiteSpace"/> says of the decoded line.</summary>
    private static bool IsBlank(ReadOnlySpan<byte> line)
    {
        var trimmed = line.TrimStart(" \t\v\f"u8);
        if (trimmed.IsEmpty)
        {
            return true;
        }

        return trimmed[0] >= 0x80 && string.IsNullOrWhiteSpace(Encoding.UTF8.GetString(trimmed));
    }

    /// <summary>The lines of a UTF-8 file as a text reader splits them: at \n, \r\n or \r.</summary>
    private static List<(int Start, int Length)> Lines(byte[] content)
    {
        var lines = new List<(int Start, int Length)>();
        var start = 0;
        while (start < content.Length)
        {
            var end = content.AsSpan(start).IndexOfAny((byte)'\n', (byte)'\r');
            if (end < 0)
            {
                lines.Add((start, content.Length - start));
                break;
            }

            lines.Add((start, end));
            start += end + 1;
            if (content[start - 1] == '\r' && start < content.Length && content[start] == '\n')
            {
                start++;
            }
        }

        return lines;
    }

    /// <summary>Writes a batch as the export format: organisations first, then each journey in order.</summary>
    public static async Task WriteAsync(TextWriter writer, ImportBatch batch, DateTimeOffset recordedAt, string recordedBy, CancellationToken ct)
    {
        foreach (var organisation in batch.Organisations)
        {
            var version = 0L;
            foreach (var e in organisation.History())
            {
                var type = OrganisationTypes.Single(t => t.Value == e.GetType()).Key;
                var id = DeterministicId.For($"{organisation.Id}/{++version}");
                await writer.WriteLineAsync(Line("organisationId", organisation.Id, id, version, type, e, null, recordedAt, recordedBy).AsMemory(), ct);
            }
        }

        foreach (var journey in batch.Journeys)
        {
            var version = 0L;
            foreach (var e in journey.Events)
            {
                await writer.WriteLineAsync(
                    Line("innovationId", journey.InnovationId, e.Id, ++version, EventCatalogue.Of(e.Fact).Name, e.Fact, e.Fact.OccurredAt, e.RecordedAt ?? recordedAt, e.RecordedBy ?? recordedBy).AsMemory(), ct);
            }
        }
    }

    private static string Line(string streamField, Guid streamId, Guid eventId, long version, string type, object data, PartialDate? occurredAt, DateTimeOffset recordedAt, string recordedBy)
    {
        var line = new JsonObject
        {
            [streamField] = streamId,
            ["eventId"] = eventId,
            ["version"] = version,
            ["type"] = type,
            ["data"] = JsonSerializer.SerializeToNode(data, data.GetType(), Json.Options),
        };
        if (occurredAt is not null)
        {
            line["occurredAt"] = JsonSerializer.SerializeToNode(occurredAt, Json.Options);
        }

        line["recordedAt"] = recordedAt.ToString("O", CultureInfo.InvariantCulture);
        line["recordedBy"] = recordedBy;
        return line.ToJsonString();
    }

    private static void CheckVersions(Guid stream, IEnumerable<(long Version, string Where)> events, List<ImportProblem> problems)
    {
        var expected = 1L;
        foreach (var (version, where) in events.OrderBy(e => e.Version))
        {
            if (version != expected)
            {
                problems.Add(new ImportProblem(where, "version", "contiguous-versions", $"stream {stream} has version {version} where {expected} was expected"));
                return;
            }

            expected++;
        }
    }

    private static ImportedOrganisation? Organisation(Guid id, List<(long Version, object Event, string Where)> events, List<ImportProblem> problems)
    {
        if (events[0].Event is not OrganisationRegistered registered)
        {
            problems.Add(new ImportProblem(events[0].Where, "type", "stream-start", $"organisation {id} must start with organisation_registered"));
            return null;
        }

        return new ImportedOrganisation(id, registered.Name, registered.Kind, events[0].Where) { Code = registered.Code, Recorded = [.. events.Select(e => e.Event)] };
    }

    private static object? Deserialize(JsonElement data, Type type, string where, List<ImportProblem> problems)
    {
        try
        {
            return data.Deserialize(type, Json.Options);
        }
        catch (JsonException e)
        {
            problems.Add(new ImportProblem(where, "data" + (e.Path is { Length: > 1 } p ? p[1..] : ""), "json", e.Message));
            return null;
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static Guid? Id(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && Guid.TryParse(v.GetString(), out var g) ? g : null;

    /// <summary>Reads a file in either format: the King's Fund JSON document, or the export's NDJSON.</summary>
    public static ImportBatch ReadAny(Stream content)
    {
        var bytes = ReadAll(content);
        if (FirstLineIsObject(bytes))
        {
            return Read(bytes);
        }

        try
        {
            using var doc = JsonDocument.Parse(bytes);
            return KingsFundFormat.Recognises(doc.RootElement)
                ? KingsFundFormat.Read(doc.RootElement)
                : ImportBatch.Refused("unknown", new ImportProblem("line 1", "", "format",
                    "neither format: a King's Fund file is one JSON object with innovations, sources and events; an export is NDJSON, one event object per line"));
        }
        catch (JsonException e)
        {
            return ImportBatch.Refused("unknown", new ImportProblem($"line {(e.LineNumber ?? 0) + 1}", e.Path ?? "", "json", $"not valid JSON: {e.Message}"));
        }
    }

    /// <summary>The content as one array: read straight into an array of its length when the stream knows it (a spooled upload).</summary>
    private static byte[] ReadAll(Stream content)
    {
        if (content.CanSeek)
        {
            var length = content.Length - content.Position;
            if (length > Array.MaxLength)
            {
                throw new InvalidDataException($"an import file is read whole, so it must be under {Array.MaxLength:N0} bytes; this one has {length:N0}: split it by journey");
            }

            var bytes = GC.AllocateUninitializedArray<byte>((int)length);
            content.ReadExactly(bytes);
            return bytes;
        }

        using var buffer = new MemoryStream();
        content.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static bool FirstLineIsObject(ReadOnlySpan<byte> bytes)
    {
        var end = bytes.IndexOf((byte)'\n');
        var first = end < 0 ? bytes : bytes[..end];
        try
        {
            using var doc = JsonDocument.Parse(first.ToArray());
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("eventId", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
