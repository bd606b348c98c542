using System.Globalization;
using System.Text.RegularExpressions;

namespace CapiUpgrade.Core.Campaigns;

/// <summary>Durations written like Kubernetes and Go write them: <c>30m</c>, <c>1h30m</c>, <c>90s</c>, plus <c>2d</c> for days.</summary>
public static partial class GoDuration
{
    [GeneratedRegex("^(?:(?<n>[0-9]+(?:\\.[0-9]+)?)(?<u>d|h|m|s|ms))+$")]
    private static partial Regex DurationRegex();

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var t = text.Trim();
        if (t == "0")
            return true;
        var m = DurationRegex().Match(t);
        if (!m.Success) return false;
        var total = TimeSpan.Zero;
        for (var i = 0; i < m.Groups["n"].Captures.Count; i++)
        {
            var n = double.Parse(m.Groups["n"].Captures[i].Value, CultureInfo.InvariantCulture);
            total += m.Groups["u"].Captures[i].Value switch
            {
                "d" => TimeSpan.FromDays(n),
                "h" => TimeSpan.FromHours(n),
                "m" => TimeSpan.FromMinutes(n),
                "s" => TimeSpan.FromSeconds(n),
                _ => TimeSpan.FromMilliseconds(n),
            };
        }
        duration = total;
        return true;
    }

    /// <summary><c>1h30m</c>, <c>45s</c>, <c>0s</c>.</summary>
    public static string Format(TimeSpan d)
    {
        if (d <= TimeSpan.Zero) return "0s";
        var parts = new List<string>();
        if (d.Days > 0) parts.Add($"{d.Days}d");
        if (d.Hours > 0) parts.Add($"{d.Hours}h");
        if (d.Minutes > 0) parts.Add($"{d.Minutes}m");
        if (d.Seconds > 0 || parts.Count == 0) parts.Add($"{d.Seconds}s");
        return string.Concat(parts);
    }
}
