using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Akka.Actor;
using CapiUpgrade.Actors.Execution;
using CapiUpgrade.Actors.Persistence;
using CapiUpgrade.Cli.Run;
using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Kubernetes.Management;
using static CapiUpgrade.Actors.Protocol.ClusterUpgradeCommands;
using static CapiUpgrade.Actors.Protocol.ClusterUpgradeReplies;
using static CapiUpgrade.Core.Upgrades.ClusterUpgradeEvents;
using ClusterKey = CapiUpgrade.Core.Upgrades.ClusterKey;

namespace CapiUpgrade.Benchmarks;

/// <summary>What the engine benchmark needs of one progress report, whichever process the engine runs in.</summary>
public sealed record BenchProgress(
    string Cluster,
    string? Event,
    string? Step,
    string? Machine,
    int Attempt,
    DateTimeOffset At,
    string Phase,
    bool Done,
    string? CurrentStep,
    int MachinesReplaced,
    string? PauseReason,
    Dictionary<string, string> ReplacementNodes)
{
    public bool Succeeded => Phase == nameof(UpgradePhase.Succeeded);

    /// <summary>Marks the end of the warm-up: the measured upgrades start right after it.</summary>
    public const string WarmedUpMarker = "#warmed-up";

    public bool IsWarmedUpMarker => Cluster == WarmedUpMarker;

    public static BenchProgress WarmedUp() => new(WarmedUpMarker, null, null, null, 0, DateTimeOffset.UtcNow, "", true, null, 0, null, []);

    public static BenchProgress From(UpgradeProgress p)
    {
        var (step, machine, attempt, at) = p.Event switch
        {
            StepStarted s => (s.Step.ToString(), s.Machine, s.Attempt, s.At),
            StepSucceeded s => (s.Step.ToString(), s.Machine, 0, s.At),
            _ => (null, null, 0, DateTimeOffset.UtcNow),
        };
        var status = p.Status;
        return new BenchProgress(p.Cluster.EntityId, p.Event?.GetType().Name, step, machine, attempt, at, status.Phase.ToString(),
            status.Phase.IsFinished() || status.Phase == UpgradePhase.Paused && status.CurrentStep is null,
            status.CurrentStep, status.MachinesReplaced, status.PauseReason,
            status.Machines.Where(m => m.ReplacementNode is not null).ToDictionary(m => m.OldMachine, m => m.ReplacementNode!));
    }
}

/// <summary>
/// The engine under benchmark, in this process or in a child process of its own (`engine-worker`), as in
/// production, where the engine does not share its cores or its thread pool with the API servers and etcd.
/// </summary>
public static class EngineWorker
{
    private const string DonePrefix = "#done ";

    /// <summary>A journal argument that starts with this is a PostgreSQL connection string, otherwise a SQLite file.</summary>
    public const string PostgresPrefix = "postgresql:";

    /// <summary>
    /// Upgrades the <paramref name="warmup"/> clusters in an engine in this process, yields
    /// <see cref="BenchProgress.WarmedUp"/> once they are all done, then upgrades the <paramref name="measured"/> ones
    /// concurrently and yields their progress until they are all done.
    /// </summary>
    public static async IAsyncEnumerable<BenchProgress> InProcessAsync(string kubeconfig, string journal, IReadOnlyList<ClusterKey> warmup, IReadOnlyList<ClusterKey> measured,
        string target, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var registry = new ManagementClusterRegistry();
        registry.Add(ManagementClusterAccess.FromKubeconfigFile(kubeconfig));
        var executors = new KubernetesStepExecutorFactory(registry);
        var persistence = journal.StartsWith(PostgresPrefix, StringComparison.Ordinal)
            ? EnginePersistenceOptions.Postgres(journal[PostgresPrefix.Length..])
            : EnginePersistenceOptions.SqliteFile(journal);
        await using var engine = await EngineHost.StartAsync(persistence, ct: ct);
        void Start(IEnumerable<ClusterKey> keys)
        {
            foreach (var key in keys)
            {
                var actor = engine.UpgradeActor(key, executors, $"upgrade-{key.Namespace}-{key.Name}");
                engine.Follow(actor, key);
                actor.Tell(new StartUpgrade(key, "bench", target, UpgradeOptions.Default, "bench"));
            }
        }
        var pending = warmup.Select(k => k.EntityId).ToHashSet();
        var measuring = pending.Count == 0;
        if (measuring)
        {
            yield return BenchProgress.WarmedUp();
            pending = measured.Select(k => k.EntityId).ToHashSet();
        }
        Start(measuring ? measured : warmup);
        await foreach (var p in engine.Progress.ReadAllAsync(ct))
        {
            var progress = BenchProgress.From(p);
            if (!pending.Contains(progress.Cluster)) continue;
            if (measuring) yield return progress;
            if (!progress.Done) continue;
            pending.Remove(progress.Cluster);
            if (pending.Count > 0) continue;
            if (measuring) yield break;
            measuring = true;
            yield return BenchProgress.WarmedUp();
            pending = measured.Select(k => k.EntityId).ToHashSet();
            Start(measured);
        }
    }

    /// <summary>
    /// `engine-worker KUBECONFIG JOURNAL TARGET WARMUP NAMESPACE/NAME...`: the child process (the first WARMUP clusters
    /// warm it up). Writes each progress report as a JSON line on stdout, then one line with its CPU time since the
    /// warm-up and its peak working set.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var clusters = args[4..].Select(a => a.Split('/')).Select(p => new ClusterKey(p[0], p[1])).ToList();
        var warmup = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
        var cpu = TimeSpan.Zero;
        var gc = GcFigures.Now();
        using var stalls = StallLog.StartIfAsked("engine");
        await using var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false };
        await foreach (var p in InProcessAsync(args[0], args[1], clusters[..warmup], clusters[warmup..], args[2]))
        {
            if (p.IsWarmedUpMarker) (cpu, gc) = (Process.GetCurrentProcess().TotalProcessorTime, GcFigures.Now());
            await stdout.WriteLineAsync(JsonSerializer.Serialize(p));
            await stdout.FlushAsync();
        }
        var self = Process.GetCurrentProcess();
        await stdout.WriteLineAsync(FormattableString.Invariant($"{DonePrefix}{(self.TotalProcessorTime - cpu).TotalSeconds:F1} {self.PeakWorkingSet64 / (1024 * 1024)} {GcFigures.Now().Since(gc)}"));
        await stdout.FlushAsync();
        return 0;
    }

    /// <summary>The engine's own figures, read from the child's last line (null when it ran in-process).</summary>
    public sealed class ChildFigures
    {
        public double CpuSeconds { get; set; } = double.NaN;
        public long PeakWorkingSetMiB { get; set; }
        public GcFigures? Gc { get; set; }
        public Process? Process { get; set; }
    }

    private const string EngineEnvironmentPrefix = "CAPI_BENCH_ENGINE_";

    /// <summary>Starts the engine as a child process of this benchmark and yields the progress it reports.</summary>
    public static async IAsyncEnumerable<BenchProgress> ChildProcessAsync(string kubeconfig, string journal, IReadOnlyList<ClusterKey> warmup, IReadOnlyList<ClusterKey> measured,
        string target, ChildFigures figures,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var self = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = false, UseShellExecute = false };
        // CAPI_BENCH_ENGINE_X=V in this process's environment sets X=V for the engine alone (e.g. a runtime knob).
        foreach (var (name, value) in Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                     .Select(e => ((string)e.Key, (string?)e.Value)).Where(e => e.Item1.StartsWith(EngineEnvironmentPrefix, StringComparison.Ordinal)))
            start.Environment[name[EngineEnvironmentPrefix.Length..]] = value;
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            start.ArgumentList.Add(typeof(EngineWorker).Assembly.Location);
        foreach (var a in new[] { "engine-worker", kubeconfig, journal, target, warmup.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) }
                     .Concat(warmup.Concat(measured).Select(c => c.Namespace + "/" + c.Name)))
            start.ArgumentList.Add(a);
        using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start the engine worker process");
        figures.Process = child;
        try
        {
            while (await child.StandardOutput.ReadLineAsync(ct) is { } line)
            {
                if (line.StartsWith(DonePrefix, StringComparison.Ordinal))
                {
                    var parts = line[DonePrefix.Length..].Split(' ');
                    figures.CpuSeconds = double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
                    figures.PeakWorkingSetMiB = long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
                    figures.Gc = GcFigures.Parse(parts[2]);
                    break;
                }
                if (line.StartsWith('{') && JsonSerializer.Deserialize<BenchProgress>(line) is { } p)
                    yield return p;
            }
            await child.WaitForExitAsync(ct);
        }
        finally
        {
            if (!child.HasExited) child.Kill(entireProcessTree: true);
        }
    }
}

/// <summary>
/// Garbage collections and their total pause time, and the process's minor page faults (first touches of memory
/// the kernel had not backed yet), from a start point: what the collector and the memory it takes and gives back
/// cost a process. On this workplace's virtual machines a first touch costs ~15 µs a page (measured: map 256 MiB
/// and write a byte a page, 0.9–1.2 s), some hundred times a bare-metal one, so faults are a CPU figure of their own.
/// </summary>
public sealed record GcFigures(double PauseMs, int Gen0, int Gen1, int Gen2, long MinorFaults)
{
    public static GcFigures Now() =>
        new(GC.GetTotalPauseDuration().TotalMilliseconds, GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), ReadMinorFaults());

    /// <summary>Field 10 of /proc/self/stat (0 where there is none).</summary>
    private static long ReadMinorFaults()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public GcFigures Since(GcFigures start) => new(PauseMs - start.PauseMs, Gen0 - start.Gen0, Gen1 - start.Gen1, Gen2 - start.Gen2, MinorFaults - start.MinorFaults);

    /// <summary>One token, for the worker's last line.</summary>
    public override string ToString() => FormattableString.Invariant($"{PauseMs:F0}/{Gen0}/{Gen1}/{Gen2}/{MinorFaults}");

    public static GcFigures Parse(string token)
    {
        var p = token.Split('/');
        var i = System.Globalization.CultureInfo.InvariantCulture;
        return new GcFigures(double.Parse(p[0], i), int.Parse(p[1], i), int.Parse(p[2], i), int.Parse(p[3], i), long.Parse(p[4], i));
    }

    /// <summary>For the report: pause time and collections by generation, and page faults.</summary>
    public string Describe() => FormattableString.Invariant($"GC paused {PauseMs:F0} ms in {Gen0} collections (gen1 {Gen1}, gen2 {Gen2}), {MinorFaults:N0} minor page faults ({MinorFaults * 4 / 1024.0:F0} MiB first touched)");
}
