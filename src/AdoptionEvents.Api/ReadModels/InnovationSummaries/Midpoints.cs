using System.Collections.Concurrent;
using AdoptionEvents.Journeys;

namespace AdoptionEvents.ReadModels.InnovationSummaries;

/// <summary>
/// <see cref="PartialDate.Midpoint"/> remembered by value and precision. The property parses its ISO
/// prefix on every read, and folding a long journey reads it several times per event; a journey
/// uses few distinct dates, so the parse is done once per date. Same value as the property, always.
/// </summary>
public static class Midpoints
{
    // Bounded so that a stream of distinct dates cannot grow it without end; past the bound it parses.
    private const int Capacity = 100_000;
    private static readonly ConcurrentDictionary<(string Value, DatePrecision Precision), DateOnly> Known = new();

    public static DateOnly Of(PartialDate date)
    {
        var key = (date.Value, date.Precision);
        if (Known.TryGetValue(key, out var midpoint))
        {
            return midpoint;
        }

        // Invalid values throw here as the property does, and are not remembered.
        midpoint = date.Midpoint;
        if (Known.Count < Capacity)
        {
            Known.TryAdd(key, midpoint);
        }

        return midpoint;
    }
}
