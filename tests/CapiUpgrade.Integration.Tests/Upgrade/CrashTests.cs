using System.Text.Json.Nodes;
using CapiUpgrade.Cli.Run;
using CapiUpgrade.Simulator.Fleet;
using Xunit.Abstractions;
using static CapiUpgrade.Integration.Tests.Upgrade.UpgradeAssertions;

namespace CapiUpgrade.Integration.Tests.Upgrade;

/// <summary>
/// `capi-upgrade run` is SIGKILLed from outside when the test sees a step's effect in the simulator (no
/// test-only crash switch in the product), then run again with the same arguments until it finishes.
/// </summary>
[Collection(EngineProcessCollection.Name)]
public sealed class CrashTests(ITestOutputHelper output)
{
    private const string Target = "v1.30.2";

    private sealed class Effects(FleetUnderTest f, SimulatedCluster c)
    {
        private readonly HashSet<string> _replacements = new();
        public IReadOnlyCollection<string> ReplacementsEverSeen { get { lock (_replacements) return _replacements.ToList(); } }

        private IReadOnlyList<JsonObject> Machines() => f.ControlPlaneMachines(c);

        public int ReplacementsCreated()
        {
            var now = Machines().Where(m => m["metadata"]!["annotations"]?["capi-upgrade.io/replacement-for"] is not null).Select(Name).ToList();
            lock (_replacements) foreach (var n in now) _replacements.Add(n);
            return ReplacementsEverSeen.Count;
        }

        public int NodesReady() => Machines().Count(m => m["metadata"]!["annotations"]?["capi-upgrade.io/replacement-for"] is not null && m["status"]?["nodeRef"] is not null)
                                   + c.InitialMachines.Count(n => Machines().All(m => Name(m) != n));

        public async Task<int> PromotedAsync() => (await c.Etcd.MemberListAsync()).Members.Count(m => !m.IsLearner && !c.InitialMachines.Contains(m.Name));

        public int DeletesIssued() => c.InitialMachines.Count(n => Machines().FirstOrDefault(m => Name(m) == n) is not { } m || m["metadata"]!["deletionTimestamp"] is not null);

        public async Task<int> MembersRemovedAsync()
        {
            var names = (await c.Etcd.MemberListAsync()).Members.Select(m => m.Name).ToHashSet();
            return c.InitialMachines.Count(n => !names.Contains(n));
        }
    }

    private string[] RunArgs(FleetUnderTest f, SimulatedCluster c) =>
        ["run", "--kubeconfig", f.Kubeconfig, "--cluster", c.Key, "--to", Target, "--db", f.Db];

    /// <summary>Starts the engine, waits until <paramref name="counter"/> grows past its value at start, kills it. False if the run ended first.</summary>
    private async Task<bool> KillWhenAsync(FleetUnderTest f, SimulatedCluster c, string effect, Func<Task<int>> counter, Effects effects)
    {
        var before = await counter();
        using var engine = EngineProcess.Start(RunArgs(f, c));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            effects.ReplacementsCreated();
            if (await counter() > before)
            {
                engine.Kill();
                output.WriteLine($"--- killed after '{effect}' ({before} → {await counter()}); engine output:\n{engine.Output}");
                return true;
            }
            if (engine.HasExited)
            {
                output.WriteLine($"--- run ended before '{effect}':\n{engine.Output}");
                return false;
            }
            await Task.Delay(5);
        }
        engine.Kill();
        throw new TimeoutException($"'{effect}' did not happen within 60 s; engine output:\n{engine.Output}");
    }

    private async Task FinishAsync(FleetUnderTest f, SimulatedCluster c, Effects effects)
    {
        using var engine = EngineProcess.Start(RunArgs(f, c));
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!engine.HasExited && DateTime.UtcNow < deadline)
        {
            effects.ReplacementsCreated();
            await Task.Delay(5);
        }
        var exit = await engine.WaitAsync(TimeSpan.FromSeconds(10));
        effects.ReplacementsCreated();
        output.WriteLine("--- final run:\n" + engine.Output);
        Assert.True(exit == RunExitCodes.Succeeded, engine.Output);
    }

    private static Task<FleetUnderTest> FleetAsync(int seed) =>
        FleetUnderTest.StartAsync(new SimulatedFleetOptions { Etcd = FleetEtcd.Simulated, ProvisionDelay = TimeSpan.FromMilliseconds(400), RandomSeed = seed });

    [Fact]
    public async Task Killed_after_each_step_effect_then_rerun_ends_as_an_uninterrupted_upgrade()
    {
        await using var f = await FleetAsync(11);
        var c = f.Cluster;
        var effects = new Effects(f, c);
        var kills = new (string Effect, Func<Task<int>> Counter)[]
        {
            ("replacement created", () => Task.FromResult(effects.ReplacementsCreated())),
            ("Node Ready", () => Task.FromResult(effects.NodesReady())),
            ("learner promoted", effects.PromotedAsync),
            ("old Machine delete issued", () => Task.FromResult(effects.DeletesIssued())),
            ("member removed", effects.MembersRemovedAsync),
        };
        var killed = 0;
        foreach (var (effect, counter) in kills)
            if (await KillWhenAsync(f, c, effect, counter, effects)) killed++;
        await FinishAsync(f, c, effects);

        Assert.Equal(kills.Length, killed);
        await AssertUpgradedAsync(f, c, Target);
        Assert.Equal(3, effects.ReplacementsEverSeen.Count); // one replacement per old Machine, never a second
    }

    [Fact]
    public async Task Killed_at_five_random_instants_then_rerun_ends_as_an_uninterrupted_upgrade()
    {
        var seed = Environment.GetEnvironmentVariable("CAPI_CRASH_SEED") is { } s ? int.Parse(s) : Random.Shared.Next(1, 1_000_000);
        output.WriteLine($"random seed {seed} (rerun with CAPI_CRASH_SEED={seed})");
        Console.WriteLine($"[CrashTests] random kill seed {seed} (rerun with CAPI_CRASH_SEED={seed})");
        var random = new Random(seed);
        await using var f = await FleetAsync(seed);
        var c = f.Cluster;
        var effects = new Effects(f, c);
        for (var i = 0; i < 5; i++)
        {
            var delay = TimeSpan.FromMilliseconds(random.Next(1500, 5000));
            using var engine = EngineProcess.Start(RunArgs(f, c));
            var deadline = DateTime.UtcNow + delay;
            while (DateTime.UtcNow < deadline && !engine.HasExited)
            {
                effects.ReplacementsCreated();
                await Task.Delay(5);
            }
            engine.Kill();
            output.WriteLine($"--- kill {i + 1} after {delay.TotalMilliseconds} ms:\n{engine.Output}");
        }
        await FinishAsync(f, c, effects);
        effects.ReplacementsCreated();

        await AssertUpgradedAsync(f, c, Target);
        Assert.Equal(3, effects.ReplacementsEverSeen.Count);
    }

    [Fact]
    public async Task Journal_deleted_mid_upgrade_does_not_lead_to_a_second_replacement()
    {
        await using var f = await FleetAsync(23);
        var c = f.Cluster;
        var effects = new Effects(f, c);
        Assert.True(await KillWhenAsync(f, c, "Node Ready", () => Task.FromResult(effects.NodesReady()), effects));
        foreach (var file in Directory.GetFiles(f.Directory, "journal.db*")) File.Delete(file);
        Assert.True(await KillWhenAsync(f, c, "old Machine delete issued", () => Task.FromResult(effects.DeletesIssued()), effects));
        foreach (var file in Directory.GetFiles(f.Directory, "journal.db*")) File.Delete(file);
        await FinishAsync(f, c, effects);

        await AssertUpgradedAsync(f, c, Target);
        Assert.Equal(3, effects.ReplacementsEverSeen.Count);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EngineProcessCollection
{
    public const string Name = "engine processes";
}
