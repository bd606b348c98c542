using System.Globalization;

namespace CapiUpgrade.Core.Campaigns;

/// <summary>A number or a percentage (<c>3</c>, <c>25%</c>), as waves, concurrency and failure budgets use them.</summary>
public sealed record Quantity(int Value, bool IsPercentage)
{
    public static Quantity Count(int n) => new(n, false);
    public static Quantity Percent(int p) => new(p, true);

    /// <summary>The percentage of <paramref name="total"/> rounded up (at least 1 when total &gt; 0 and value &gt; 0), or the count.</summary>
    public int ResolveCeiling(int total) =>
        !IsPercentage ? Value : (int)Math.Ceiling(total * Value / 100.0);

    /// <summary>The percentage of <paramref name="total"/> rounded down, or the count.</summary>
    public int ResolveFloor(int total) =>
        !IsPercentage ? Value : (int)Math.Floor(total * Value / 100.0);

    public override string ToString() => IsPercentage ? $"{Value}%" : Value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Parses <c>3</c> or <c>25%</c>; null when it is neither.</summary>
    public static Quantity? TryParse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var t = text.Trim();
        var percent = t.EndsWith('%');
        if (percent) t = t[..^1].Trim();
        return int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? new Quantity(n, percent) : null;
    }
}
