using System.Globalization;
using System.Text.Json;

namespace AdoptionEvents.Importing;

/// <summary>
/// The free-form "fields" of a source event. A mapping takes the fields it gives a home; whatever it
/// does not take (or takes but reworded into a code) stays for the event's Extra, so nothing is dropped.
/// </summary>
public sealed class SourceFields(IReadOnlyDictionary<string, JsonElement> fields)
{
    private readonly HashSet<string> _used = [];

    public bool Has(string name) => fields.ContainsKey(name);

    /// <summary>A text field, taken (it has a home).</summary>
    public string? Text(string name) => Peek(name) is { } v ? Use(name, v) : null;

    /// <summary>A text field read without taking it: a code derived from it, with the wording kept in Extra.</summary>
    public string? Peek(string name) =>
        fields.TryGetValue(name, out var e) ? e.ValueKind switch
        {
            JsonValueKind.String => e.GetString(),
            JsonValueKind.Number => e.GetRawText(),
            JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
            _ => null,
        } : null;

    /// <summary>Takes a text field when the code it maps to is the text itself; otherwise the wording stays for Extra.</summary>
    public void UseIfSame(string name, string? code)
    {
        if (Peek(name) is { } raw && string.Equals(raw, code, StringComparison.Ordinal))
        {
            _used.Add(name);
        }
    }

    public decimal? Number(string name) =>
        fields.TryGetValue(name, out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetDecimal(out var d) ? Use(name, d) : null;

    public int? Integer(string name) =>
        fields.TryGetValue(name, out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var i) ? Use(name, i) : null;

    /// <summary>A list of strings (or one string as a list of one), taken.</summary>
    public IReadOnlyList<string>? Texts(string name)
    {
        if (!fields.TryGetValue(name, out var e))
        {
            return null;
        }

        IReadOnlyList<string>? list = e.ValueKind switch
        {
            JsonValueKind.Array when e.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String) => [.. e.EnumerateArray().Select(x => x.GetString()!)],
            JsonValueKind.String => [e.GetString()!],
            _ => null,
        };
        return list is null ? null : Use(name, list);
    }

    public bool IsNumber(string name) => fields.TryGetValue(name, out var e) && e.ValueKind == JsonValueKind.Number;

    public IEnumerable<string> Names => fields.Keys;

    /// <summary>The fields nothing took, for the event's Extra (null when there are none).</summary>
    public IReadOnlyDictionary<string, JsonElement>? Rest(IEnumerable<KeyValuePair<string, JsonElement>>? more = null)
    {
        var rest = fields.Where(f => !_used.Contains(f.Key)).Concat(more ?? []).ToDictionary(f => f.Key, f => f.Value.Clone());
        return rest.Count == 0 ? null : rest;
    }

    private T Use<T>(string name, T value)
    {
        _used.Add(name);
        return value;
    }

    public static JsonElement Element(string value) => JsonSerializer.SerializeToElement(value);

    public static string Invariant(decimal value) => value.ToString(CultureInfo.InvariantCulture);
}
