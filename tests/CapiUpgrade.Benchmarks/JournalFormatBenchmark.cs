using System.Diagnostics;
using Akka.Actor;
using Akka.Serialization;
using CapiUpgrade.Actors.Persistence;
using CapiUpgrade.Core.Upgrades;
using static CapiUpgrade.Core.Upgrades.ClusterUpgradeEvents;

namespace CapiUpgrade.Benchmarks;

/// <summary>
/// `journal-format [--rounds 6] [--upgrades 2000]`: writes and reads back the events of many 3-Machine upgrades
/// (the mix a real upgrade journals) through the journal's own format and through Akka's default (Json.NET, what
/// the journal held before), alternating the two round by round on this thread, and prints bytes per event, CPU
/// time and allocations per event for each, and their ratios.
/// </summary>
public static class JournalFormatBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        int Arg(string name, int fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } v ? int.Parse(v) : fallback;
        var rounds = Arg("--rounds", 6);
        var upgrades = Arg("--upgrades", 2000);
        using var system = ActorSystem.Create("journal-format-bench", EnginePersistenceExtensions.DefaultConfig);
        var journalFormat = system.Serialization.FindSerializerForType(typeof(StepStarted));
        var jsonNet = system.Serialization.FindSerializerForType(typeof(object)); // Akka's default
        var events = Enumerable.Range(0, upgrades).SelectMany(UpgradeEvents).ToList();
        Console.WriteLine($"{events.Count} events of {upgrades} upgrades ({events.Count / upgrades} each), {rounds} rounds per serializer, alternating");

        var figures = new Dictionary<string, (double Seconds, long Allocated, long Bytes)>
        {
            ["journal format"] = default,
            ["Json.NET (before)"] = default,
        };
        for (var round = 0; round < rounds; round++)
        {
            foreach (var (name, serializer) in new[] { ("journal format", journalFormat), ("Json.NET (before)", jsonNet) })
            {
                var (seconds, allocated, bytes) = WriteAndRead(serializer, events);
                if (round == 0) continue; // the first round of each compiles its code paths
                var f = figures[name];
                figures[name] = (f.Seconds + seconds, f.Allocated + allocated, bytes);
            }
        }
        var measured = (double)events.Count * (rounds - 1);
        foreach (var (name, f) in figures)
            Console.WriteLine($"{name,-18}: {f.Bytes / (double)events.Count:F0} bytes per event; write + read {f.Seconds / measured * 1e6:F2} µs and {f.Allocated / measured:F0} bytes allocated per event");
        var (a, b) = (figures["journal format"], figures["Json.NET (before)"]);
        Console.WriteLine($"journal format / Json.NET: size {a.Bytes / (double)b.Bytes:F2}, time {a.Seconds / b.Seconds:F2}, allocations {a.Allocated / (double)b.Allocated:F2}");
        await system.Terminate();
        return 0;
    }

    private static (double Seconds, long Allocated, long Bytes) WriteAndRead(Serializer serializer, List<object> events)
    {
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        long bytes = 0;
        foreach (var e in events)
        {
            var binary = serializer.ToBinary(e);
            bytes += binary.Length;
            var back = serializer is SerializerWithStringManifest withManifest
                ? withManifest.FromBinary(binary, withManifest.Manifest(e))
                : serializer.FromBinary(binary, null);
            if (back.GetType() != e.GetType()) throw new InvalidOperationException($"{serializer.GetType().Name} read a {back.GetType().Name} back for a {e.GetType().Name}");
        }
        watch.Stop();
        return (watch.Elapsed.TotalSeconds, GC.GetAllocatedBytesForCurrentThread() - allocatedBefore, bytes);
    }

    /// <summary>The events one 3-Machine upgrade journals, in the engine's proportions (about 24 per upgrade).</summary>
    private static IEnumerable<object> UpgradeEvents(int i)
    {
        var cluster = new ClusterKey($"fleet-{i % 4}", $"cluster-{i:D4}");
        var id = $"u-{i:x8}";
        var at = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero).AddSeconds(i);
        var machines = Enumerable.Range(0, 3).Select(m => new MachineReplacement($"{cluster.Name}-cp-{m}", $"{cluster.Name}-cp-{m}", m == 0)).ToList();
        yield return new UpgradeStarted(cluster, id, "v1.30.2", UpgradeOptions.Default, "campaign/bench", at);
        yield return new UpgradePlanned(cluster, id, "v1.29.4", new List<string> { "v1.30.2" }, at);
        yield return new HopPlanned(cluster, id, 0, "v1.30.2", machines, new List<string>(), at);
        foreach (var step in new[] { UpgradeStep.ClaimCluster, UpgradeStep.UpdateClusterConfig })
        {
            yield return new StepStarted(cluster, id, step, null, 0, at);
            yield return new StepSucceeded(cluster, id, step, null, "done", at);
        }
        foreach (var m in machines)
        {
            foreach (var step in new[] { UpgradeStep.CreateReplacement, UpgradeStep.AwaitReplacementReady, UpgradeStep.DeleteOldMachine })
            {
                yield return new StepStarted(cluster, id, step, m.OldMachine, 0, at);
                yield return new StepSucceeded(cluster, id, step, m.OldMachine, "done", at, m.OldMachine + "-" + id, m.OldMachine + "-" + id);
            }
        }
        yield return new UpgradeSucceeded(cluster, id, "v1.30.2", 3, at);
    }
}
