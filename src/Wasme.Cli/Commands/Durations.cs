using System.Globalization;

namespace Wasme.Cli.Commands;

/// <summary>Durations on the command line: 30s, 10m, 2h, 1d, or a TimeSpan (00:10:00).</summary>
internal static class Durations
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        if (text.Length >= 2 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount >= 0)
        {
            TimeSpan? parsed = text[^1] switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => null,
            };
            if (parsed is { } value)
            {
                duration = value;
                return true;
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration) && duration >= TimeSpan.Zero;
    }

    /// <summary>A positive duration, or a problem naming the option and the expected form.</summary>
    public static TimeSpan ParsePositive(string text, string option, List<string> problems, TimeSpan fallback)
    {
        if (TryParse(text, out var duration) && duration > TimeSpan.Zero)
        {
            return duration;
        }

        problems.Add($"{option} '{text}' is not a positive duration; use a number with s, m, h or d, e.g. 10m");
        return fallback;
    }
}
