using System.Globalization;

namespace CapiUpgrade.Service.Commands;

/// <summary>Small helpers for readable views.</summary>
public static class Views
{
    public static string Time(DateTimeOffset? t) => t is null ? "-" : t.Value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Age(DateTimeOffset? t, DateTimeOffset now)
    {
        if (t is null) return "-";
        var d = now - t.Value;
        if (d < TimeSpan.Zero) d = TimeSpan.Zero;
        return d.TotalSeconds < 60 ? $"{(int)d.TotalSeconds}s" : d.TotalMinutes < 60 ? $"{(int)d.TotalMinutes}m" : d.TotalHours < 48 ? $"{(int)d.TotalHours}h" : $"{(int)d.TotalDays}d";
    }

    public static string Or(string? s, string fallback = "-") => string.IsNullOrEmpty(s) ? fallback : s;

    public static CommandView Message(string message) => new() { Message = message };
}
