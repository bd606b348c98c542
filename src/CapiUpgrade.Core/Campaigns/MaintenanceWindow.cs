using System.Globalization;

namespace CapiUpgrade.Core.Campaigns;

/// <summary>
/// When new upgrades may start on a cluster: days of the week and UTC hours. Written
/// <c>&lt;days&gt;.&lt;start&gt;-&lt;end&gt;</c> so it fits a label value: <c>mon-fri.22-06</c> (Monday to Friday,
/// 22:00 to 06:00 UTC of the next morning), <c>sat_sun.00-24</c>, <c>tue_thu.01-05</c>. Days are <c>mon</c>…<c>sun</c>,
/// ranges with '-', lists with '_' (or ','); hours 0–24, start inclusive, end exclusive; an end at or before the
/// start wraps past midnight, and the day names the day the window opens. <c>always</c> is always open.
/// Running upgrades are never stopped by a closing window: it only gates starts.
/// </summary>
public sealed record MaintenanceWindow(IReadOnlySet<DayOfWeek> Days, int StartHour, int EndHour)
{
    public static MaintenanceWindow Always { get; } = new(Enum.GetValues<DayOfWeek>().ToHashSet(), 0, 24);

    private static readonly string[] DayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    public bool Wraps => EndHour <= StartHour;

    public bool IsOpen(DateTimeOffset now)
    {
        var utc = now.UtcDateTime;
        var hour = utc.Hour;
        if (!Wraps) return Days.Contains(utc.DayOfWeek) && hour >= StartHour && hour < EndHour;
        if (Days.Contains(utc.DayOfWeek) && hour >= StartHour) return true;
        var yesterday = utc.AddDays(-1).DayOfWeek;
        return Days.Contains(yesterday) && hour < EndHour;
    }

    /// <summary>The next instant at or after <paramref name="now"/> when the window is open (within 8 days), for "waiting until" messages.</summary>
    public DateTimeOffset? NextOpening(DateTimeOffset now)
    {
        if (IsOpen(now)) return now;
        var t = new DateTimeOffset(now.UtcDateTime.Date.AddHours(now.UtcDateTime.Hour + 1), TimeSpan.Zero);
        for (var i = 0; i < 24 * 8; i++, t = t.AddHours(1))
            if (IsOpen(t)) return t;
        return null;
    }

    public override string ToString()
    {
        if (Days.Count == 7 && StartHour == 0 && EndHour == 24) return "always";
        var days = string.Join("_", Enumerable.Range(0, 7).Select(i => (DayOfWeek)((i + 1) % 7)).Where(Days.Contains).Select(d => DayNames[(int)d]));
        return $"{days}.{StartHour:00}-{EndHour:00}";
    }

    public static bool TryParse(string? text, out MaintenanceWindow window, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        window = Always;
        error = null;
        const string example = "write days.start-end in UTC hours, e.g. mon-fri.22-06 or sat_sun.00-24";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = $"the maintenance window is empty: {example}";
            return false;
        }
        var t = text.Trim().ToLowerInvariant();
        if (t == "always") return true;
        var dot = t.LastIndexOf('.');
        if (dot <= 0)
        {
            error = $"'{text}' has no '.' between days and hours: {example}";
            return false;
        }
        if (!TryParseDays(t[..dot], out var days, out error))
        {
            error = $"'{text}': {error}: {example}";
            return false;
        }
        var hours = t[(dot + 1)..].Split('-');
        if (hours.Length != 2 || !TryHour(hours[0], out var start) || !TryHour(hours[1], out var end) || start == 24)
        {
            error = $"'{text}' has hours '{t[(dot + 1)..]}', not start-end between 00 and 24: {example}";
            return false;
        }
        window = new MaintenanceWindow(days, start, end);
        return true;
    }

    public static MaintenanceWindow Parse(string text) =>
        TryParse(text, out var w, out var error) ? w : throw new FormatException(error);

    /// <summary>From days and hours given separately (the structured form of the campaign spec).</summary>
    public static bool TryCreate(IEnumerable<string> dayTexts, int startHour, int endHour, out MaintenanceWindow window, out string? error)
    {
        window = Always;
        var days = new HashSet<DayOfWeek>();
        foreach (var d in dayTexts)
        {
            if (!TryParseDays(d.ToLowerInvariant(), out var some, out error)) return false;
            days.UnionWith(some);
        }
        if (days.Count == 0) days.UnionWith(Enum.GetValues<DayOfWeek>());
        if (startHour is < 0 or > 23 || endHour is < 0 or > 24)
        {
            error = $"hours must be 0-23 (start) and 0-24 (end), got {startHour}-{endHour}";
            return false;
        }
        window = new MaintenanceWindow(days, startHour, endHour);
        error = null;
        return true;
    }

    private static bool TryParseDays(string text, out HashSet<DayOfWeek> days, out string? error)
    {
        days = new HashSet<DayOfWeek>();
        error = null;
        foreach (var part in text.Split(['_', ','], StringSplitOptions.RemoveEmptyEntries))
        {
            var range = part.Split('-');
            if (range.Length > 2 || !TryDay(range[0], out var from) || !TryDay(range[^1], out var to))
            {
                error = $"'{part}' is not a day or day range (mon, tue, wed, thu, fri, sat, sun; mon-fri)";
                return false;
            }
            for (var d = from; ; d = (DayOfWeek)(((int)d + 1) % 7))
            {
                days.Add(d);
                if (d == to) break;
            }
        }
        if (days.Count == 0)
        {
            error = "no day given";
            return false;
        }
        return true;
    }

    private static bool TryDay(string s, out DayOfWeek day)
    {
        var i = Array.IndexOf(DayNames, s.Length >= 3 ? s[..3] : s);
        day = i < 0 ? default : (DayOfWeek)i;
        return i >= 0 && (s.Length == 3 || Enum.GetNames<DayOfWeek>().Any(n => n.Equals(s, StringComparison.OrdinalIgnoreCase)));
    }

    private static bool TryHour(string s, out int hour) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out hour) && hour is >= 0 and <= 24;
}
