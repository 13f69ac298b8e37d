using System.Diagnostics;

namespace AdoptionEvents.ReadModels.Building;

/// <summary>
/// Time spent per phase of a build, summed over its pages and stages, for its log line: the stages run side by
/// side, so these say which one the others wait for.
/// </summary>
internal sealed class BuildPhases
{
    private readonly Dictionary<string, long> _ticks = [];

    public void Add(string phase, long since)
    {
        var elapsed = Stopwatch.GetTimestamp() - since;
        lock (_ticks)
        {
            _ticks[phase] = _ticks.GetValueOrDefault(phase) + elapsed;
        }
    }

    public T Time<T>(string phase, Func<T> work)
    {
        var started = Stopwatch.GetTimestamp();
        var result = work();
        Add(phase, started);
        return result;
    }

    public override string ToString()
    {
        lock (_ticks)
        {
            return string.Join(", ", _ticks.Select(t => $"{t.Key} {t.Value / (double)Stopwatch.Frequency:F2} s"));
        }
    }
}
