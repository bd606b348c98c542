namespace CapiUpgrade.Benchmarks;

/// <summary>The percentile definition the benchmarks print: nearest rank (the smallest value with at least q of the samples at or below it).</summary>
public static class Percentile
{
    /// <param name="sorted">The samples in ascending order.</param>
    /// <param name="q">0 &lt; q ≤ 1, e.g. 0.99.</param>
    public static double NearestRank(IReadOnlyList<double> sorted, double q) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
}
