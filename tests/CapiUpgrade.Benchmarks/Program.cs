namespace CapiUpgrade.Benchmarks;

/// <summary>Entry point: `dotnet run -c Release --project tests/CapiUpgrade.Benchmarks -- NAME`.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var benchmarks = BenchmarkCatalog.All;
        if (args.Length == 0 || !benchmarks.TryGetValue(args[0], out var run))
        {
            Console.Error.WriteLine("usage: CapiUpgrade.Benchmarks <name> [args]; names: " + string.Join(", ", benchmarks.Keys.Order()));
            return 2;
        }
        return await run(args[1..]);
    }
}
