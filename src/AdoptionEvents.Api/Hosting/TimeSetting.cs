using System.Globalization;
using AdoptionEvents.Hosting.Database;

namespace AdoptionEvents.Hosting;

/// <summary>A setting that is a length of time (text such as <c>00:00:05</c>), read once at start-up within bounds.</summary>
public static class TimeSetting
{
    /// <summary>
    /// The setting's value, or <paramref name="fallback"/> when it is not set. A value that is not a time from
    /// <paramref name="shortest"/> to <paramref name="longest"/> stops the start with one line naming the setting,
    /// the value and the bounds, then <paramref name="hint"/> (an example, or another value the setting takes).
    /// </summary>
    public static TimeSpan Read(IConfiguration configuration, string setting, TimeSpan fallback, TimeSpan shortest, TimeSpan longest, string hint)
    {
        var text = configuration[setting];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) && value >= shortest && value <= longest
            ? value
            : throw new StartupConfigurationException($"{setting} is '{text}': it must be a time from {shortest:c} to {longest:c}, {hint}");
    }
}
