namespace CapiUpgrade.Benchmarks;

/// <summary>Every benchmark by name. Each one prints its figures and returns an exit code.</summary>
public static class BenchmarkCatalog
{
    public static readonly IReadOnlyDictionary<string, Func<string[], Task<int>>> All =
        new Dictionary<string, Func<string[], Task<int>>>(StringComparer.Ordinal)
        {
            ["apiserver"] = ApiServerBenchmark.RunAsync,
            ["service"] = ServiceBenchmark.RunAsync,
            ["fleet"] = FleetBenchmark.RunAsync,
            ["engine"] = EngineBenchmark.RunAsync,
            ["engine-worker"] = EngineWorker.RunAsync,
            ["engine-canary"] = CanaryWorker.RunAsync,
            ["handshake"] = HandshakeBenchmark.RunAsync,
            ["journal-format"] = JournalFormatBenchmark.RunAsync,
            ["etcd-health"] = EtcdHealthBenchmark.RunAsync,
        };
}
