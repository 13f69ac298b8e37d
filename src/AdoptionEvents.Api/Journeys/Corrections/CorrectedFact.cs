using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using AdoptionEvents.Hosting;
using AdoptionEvents.Journeys.SiteAdoption;

namespace AdoptionEvents.Journeys.Corrections;

/// <summary>
/// A fact as its corrections say it should have been recorded: the original's fields, each one a correction names replaced by
/// the corrected value (in the order the corrections were recorded). Every read model that applies corrections reads this.
/// </summary>
public static class CorrectedFact
{
    // A null for a field that may not be null is refused when a correction is read, as a body's is.
    private static readonly JsonSerializerOptions Strict = new(Json.Options) { RespectNullableAnnotations = true };

    private static readonly ConcurrentDictionary<Type, (HashSet<string> Fields, HashSet<string> Fixed)> Shapes = new();

    /// <summary><paramref name="original"/> with <paramref name="changes"/> applied; throws <see cref="JsonException"/> for a value its field cannot hold.</summary>
    public static JourneyEvent Apply(JourneyEvent original, IReadOnlyDictionary<string, JsonElement> changes)
    {
        var type = original.GetType();
        var fields = (JsonObject)JsonSerializer.SerializeToNode(original, type, Json.Options)!;
        foreach (var (field, value) in changes)
        {
            fields[field] = JsonSerializer.SerializeToNode(value);
        }

        var corrected = (JourneyEvent)(fields.Deserialize(type, Strict) ?? throw new JsonException("a corrected fact cannot be null"));
        return corrected with { InnovationId = original.InnovationId };
    }

    /// <summary>
    /// The fact as its corrections leave it, each in turn. A correction stored before corrections were checked is read as a recording
    /// would be: a change of a field no correction may change is passed over, and a correction whose fact no recording could make (a
    /// value its field cannot hold, a date that cannot be read, a code off its vocabulary: any rule but the one against future dates,
    /// which would make a fold depend on the clock) corrects nothing. So every fold and every decision reads the same fact.
    /// </summary>
    public static JourneyEvent Amended(JourneyEvent fact, IEnumerable<IReadOnlyDictionary<string, JsonElement>> corrections)
    {
        var type = fact.GetType();
        var fields = Fields(type);
        foreach (var changes in corrections)
        {
            try
            {
                var corrected = Apply(fact, changes.Where(c => fields.Contains(c.Key) && !IsFixed(type, c.Key)).ToDictionary());
                fact = Recording.FieldRules.Check(corrected, DateOnly.MaxValue).Any() ? fact : corrected;
            }
            catch (Exception e) when (e is JsonException or FormatException or ArgumentOutOfRangeException)
            {
                // Not what any recording could be either (a value its field cannot hold, a date past the calendar): the fact stands as it was.
            }
        }

        return fact;
    }

    /// <summary>
    /// After a run of decisions (an import) accepts <paramref name="fact"/>: a correction leaves the fact it names as corrected in
    /// <paramref name="amended"/>, so the next correction or retraction of it reads the fact as it stands.
    /// </summary>
    public static void Remember(ref Dictionary<Guid, JourneyEvent>? amended, Recording.DecisionContext context, JourneyEvent fact)
    {
        if (fact is EventCorrected c && context.FactOf(c.CorrectedEventId) is { } before)
        {
            (amended ??= [])[c.CorrectedEventId] = Amended(before, [c.Changes]);
        }
    }

    /// <summary>A corrected date as a fold reads it; null when the value is no valid date (a correction stored before they were checked).</summary>
    public static PartialDate? Date(JsonElement value)
    {
        try
        {
            return value.Deserialize<PartialDate>(Json.Options) is { } date && date.Problem() is null ? date : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The fields of the fact's type, as its JSON names them.</summary>
    public static IReadOnlySet<string> Fields(Type type) => Shape(type).Fields;

    /// <summary>
    /// Fields a correction may not change: the journey, and every reference to an event or an organisation (a site, the origin, the
    /// barrier a resolution closes, the causes), and a site's decision: the state of decisions hangs on them (which site is where, what
    /// stands open, who supports the innovation). To change one, the fact is retracted and recorded again.
    /// </summary>
    public static bool IsFixed(Type type, string field) => field == "type" || Shape(type).Fixed.Contains(field);

    private static (HashSet<string> Fields, HashSet<string> Fixed) Shape(Type type) => Shapes.GetOrAdd(type, t =>
    {
        var info = Json.Options.GetTypeInfo(t);
        var fields = info.Properties.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var fixedFields = info.Properties.Where(p => Names(p.PropertyType)).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        if (t == typeof(AdoptionDecided))
        {
            fixedFields.Add(Json.Options.PropertyNamingPolicy!.ConvertName(nameof(AdoptionDecided.Outcome)));
        }

        return (fields, fixedFields);
    });

    // A field that names an event or an organisation: a Guid, or a list of them.
    private static bool Names(Type type) => type == typeof(Guid) || type == typeof(Guid?) || typeof(IEnumerable<Guid>).IsAssignableFrom(type);
}
