using System.Text.Json;
using CapiUpgrade.Simulator.Faults;
using CapiUpgrade.Simulator.Fleet;
using CapiUpgrade.Simulator.Observer;
using CapiUpgrade.Tests.Shared;
using Xunit.Abstractions;

namespace CapiUpgrade.Service.Tests;

[CollectionDefinition("service-process", DisableParallelization = true)]
public sealed class ServiceProcessCollection;

/// <summary>
/// Issue 5's "done when": the service as its own process against a simulated fleet (simulated etcd over
/// the same gRPC path), steered through the real client code.
/// </summary>
[Collection("service-process")]
public sealed class CampaignIntegrationTests(ITestOutputHelper output)
{
    private const string Target = "v1.30.2";

    private static string Spec(string name, int budget, bool approval, string soak = "0s") => $"""
        name: {name}
        targetVersion: {Target}
        waves:
          - name: first
            count: 2
            maxConcurrent: 2
            soak: {soak}
          - name: rest
            maxConcurrent: 2
            approval: {(approval ? "true" : "false")}
        failureBudget: {budget}
        """;

    private static async Task<SimulatedFleet> FleetAsync(int clusters) => await SimulatedFleet.StartAsync(new SimulatedFleetOptions
    {
        Clusters = clusters,
        ControlPlaneReplicas = 3,
        Version = "v1.29.4",
        Etcd = FleetEtcd.Simulated,
        ProvisionDelay = TimeSpan.FromMilliseconds(150),
        RandomSeed = 5,
        Keys = Simulator.Pki.RsaKeySource.Pooled(4),
    });

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private static async Task<JsonElement> CampaignAsync(ServiceProcess service, string id)
    {
        var show = await service.CliAsync("campaign", "show", id, "-o", "json");
        Assert.True(show.Code == 0, show.Err);
        return Json(show.Out);
    }

    private static string WaveState(JsonElement campaign, int wave) => campaign.GetProperty("waves")[wave].GetProperty("state").GetString()!;

    private async Task Until(ServiceProcess service, Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        try
        {
            await Eventually.TrueAsync(condition, timeout, what);
        }
        catch (TimeoutException)
        {
            output.WriteLine(service.Output.Length > 20000 ? service.Output[^20000..] : service.Output);
            throw;
        }
    }

    public static TheoryData<string> Journals => new() { "sqlite", "postgresql" };

    [Theory]
    [MemberData(nameof(Journals))]
    public async Task Campaign_runs_in_waves_within_concurrency_waits_for_approval_and_survives_SIGKILL(string journal)
    {
        var directory = Path.Combine(Path.GetTempPath(), "capi-upgrade-service-it", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var journalArgs = journal == "sqlite" ? new[] { "--db", Path.Combine(directory, "journal.db") } : new[] { "--postgres", await NewPostgresDatabaseAsync() };
        await using var fleet = await FleetAsync(6);
        var kubeconfig = Path.Combine(directory, "management.kubeconfig");
        await fleet.WriteKubeconfigAsync(kubeconfig);
        var specFile = Path.Combine(directory, "campaign.yaml");
        await File.WriteAllTextAsync(specFile, Spec("june", budget: 1, approval: true, soak: "6h"));
        string[] serveArgs = ["--kubeconfig", kubeconfig, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", .. journalArgs];
        // The read model saves a checkpoint after every event it can: the service restarted after the kill begins
        // from the last one (campaign and upgrade states included) and every view below is folded on top of it.
        var environment = new Dictionary<string, string> { ["CAPI_UPGRADE_HOCON"] = "capi-upgrade.service.read-model { checkpoint-every = 1, checkpoint-interval = 0s }\ncapi-upgrade.service.campaigns.snapshot-every = 2" };

        var service = await ServiceProcess.StartAsync(serveArgs, environment, directory);
        try
        {
            var plan = await service.CliAsync("campaign", "plan", specFile);
            Assert.True(plan.Code == 0, plan.Err);
            Assert.Contains("6 in 2 wave(s), 0 excluded", plan.Out);

            var start = await service.CliAsync("campaign", "start", specFile);
            Assert.True(start.Code == 0, start.Err);

            // Mid-campaign: as soon as the first cluster upgrade has started, kill the service outright.
            await Until(service, async () => (await service.CliAsync("upgrade", "list", "--campaign", "june")).Out.Contains("Running"),
                TimeSpan.FromSeconds(60), "a cluster upgrade of the campaign is running");
            await Until(service, () => Task.FromResult(service.Output.Contains("read model: checkpoint saved at journal offset", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(30), "the read model saved a checkpoint");
            await service.KillAsync();
            await service.DisposeAsync();
            service = await ServiceProcess.StartAsync(serveArgs, environment, directory);
            await Until(service, () => Task.FromResult(service.Output.Contains("read model: caught up", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(60), "the restarted read model catches up");
            // The campaign snapshots its state every 2 events here: the restarted one starts from its last snapshot.
            await Until(service, () => Task.FromResult(service.Output.Contains("campaign june: recovered", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(60), "the campaign recovers");
            Assert.True(service.Output.Contains("from its snapshot at event", StringComparison.Ordinal),
                "the restarted campaign did not begin from a snapshot: " + string.Join("\n", service.Output.Split('\n').Where(l => l.Contains("campaign june", StringComparison.Ordinal))));
            Assert.True(service.Output.Contains("read model: restored from its checkpoint at journal offset", StringComparison.Ordinal),
                "the restarted read model did not begin from a checkpoint: " + string.Join("\n", service.Output.Split('\n').Where(l => l.Contains("read model", StringComparison.Ordinal))));

            // Wave 0 soaks for 6 hours after it finishes (after the restart); an operator ends the soak now.
            await Until(service, async () => WaveState(await CampaignAsync(service, "june"), 0) == "Soaking",
                TimeSpan.FromSeconds(120), "wave 0 soaks");
            Assert.Equal("Pending", WaveState(await CampaignAsync(service, "june"), 1));
            var soaking = await service.CliAsync("campaign", "show", "june");
            Assert.Contains("campaign skip-soak june", soaking.Out);
            var skipSoak = await service.CliAsync("campaign", "skip-soak", "june");
            Assert.True(skipSoak.Code == 0, skipSoak.Err);

            // The approval gate holds wave 1 after the soak.
            await Until(service, async () => WaveState(await CampaignAsync(service, "june"), 1) == "AwaitingApproval",
                TimeSpan.FromSeconds(120), "wave 1 awaits approval");
            var held = await CampaignAsync(service, "june");
            var wave1 = held.GetProperty("clusters").EnumerateArray().Where(c => c.GetProperty("wave").GetInt32() == 1).ToList();
            Assert.Equal(4, wave1.Count);
            Assert.All(wave1, c => Assert.Equal("Pending", c.GetProperty("state").GetString()));

            var approve = await service.CliAsync("campaign", "approve", "june");
            Assert.True(approve.Code == 0, approve.Err);

            await Until(service, async () => (await CampaignAsync(service, "june")).GetProperty("phase").GetString() == "Completed",
                TimeSpan.FromSeconds(180), "the campaign completes");

            // Every cluster at the target, history complete in the read model.
            var done = await CampaignAsync(service, "june");
            Assert.All(done.GetProperty("clusters").EnumerateArray(), c => Assert.Equal("Succeeded", c.GetProperty("state").GetString()));
            var actions = done.GetProperty("actions").EnumerateArray().Select(a => a.GetProperty("action").GetString()).ToList();
            Assert.Equal(["start", "skip-soak", "approve"], actions);
            // The campaign completes on the upgrades' progress pushed to it: their last events may reach the read model a moment later.
            await Until(service, async () => Json((await service.CliAsync("upgrade", "list", "--campaign", "june", "-o", "json")).Out).EnumerateArray()
                .Count(u => u.GetProperty("phase").GetString() == "Succeeded") == 6, TimeSpan.FromSeconds(30), "the read model shows 6 upgrades succeeded");
            var upgrades = Json((await service.CliAsync("upgrade", "list", "--campaign", "june", "-o", "json")).Out).EnumerateArray().ToList();
            Assert.Equal(6, upgrades.Count);
            Assert.All(upgrades, u =>
            {
                Assert.Equal("Succeeded", u.GetProperty("phase").GetString());
                Assert.Equal(3, u.GetProperty("machinesReplaced").GetInt32());
            });
            // The observer follows the API servers through watches and etcd by polling: the last old Machine's removal,
            // which the engine waited for before the upgrade succeeded, can reach it a moment after the read model.
            await Until(service, () => Task.FromResult(fleet.Clusters.All(c => fleet.Observer.Latest(c.Key) is { ControlPlaneMachines: 3, Voters: 3 })),
                TimeSpan.FromSeconds(30), "the observer sees 3 control-plane Machines and 3 voters in every cluster");
            foreach (var cluster in fleet.Clusters)
            {
                var latest = fleet.Observer.Latest(cluster.Key)!;
                Assert.Equal(3, latest.ControlPlaneMachines);
                Assert.Equal(3, latest.Voters);
                Assert.Empty(latest.StaleMembers);
                Assert.DoesNotContain(fleet.Observer.ViolationsOf(cluster.Key), v => v.Kind is InvariantKind.TooManyControlPlaneMachines or InvariantKind.QuorumLost);
            }

            // Concurrency never above maxConcurrent 2, and wave 1 only after wave 0: from the journal (upgrade start/finish)
            // and from the simulator's observer (clusters with a surge Machine at the same instant).
            var spans = upgrades.Select(u => (Cluster: u.GetProperty("cluster").GetString()!, From: u.GetProperty("startedAt").GetDateTimeOffset(), To: u.GetProperty("finishedAt").GetDateTimeOffset())).ToList();
            Assert.True(MaxOverlap(spans.Select(s => (s.From, s.To))) <= 2, "more than 2 upgrades in flight at once: " + string.Join("; ", spans));
            var surges = fleet.Clusters.SelectMany(c => SurgeSpans(fleet.Observer.History(c.Key))).ToList();
            Assert.True(MaxOverlap(surges) <= 2, "more than 2 clusters with a surge Machine at once");
            var wave0 = done.GetProperty("clusters").EnumerateArray().Where(c => c.GetProperty("wave").GetInt32() == 0).Select(c => c.GetProperty("cluster").GetString()).ToHashSet();
            var lastWave0 = spans.Where(s => wave0.Contains(s.Cluster)).Max(s => s.To);
            var firstWave1 = spans.Where(s => !wave0.Contains(s.Cluster)).Min(s => s.From);
            Assert.True(lastWave0 < firstWave1, $"wave 1 started at {firstWave1:O} before wave 0 finished at {lastWave0:O}");

            // The full history survived the kill: the journal has every event of every cluster.
            var events = await service.CliAsync("upgrade", "events", upgrades[0].GetProperty("cluster").GetString()!, "--limit", "1000");
            Assert.Contains("UpgradeStarted", events.Out);
            Assert.Contains("UpgradeSucceeded", events.Out);

            Assert.Equal(0, await service.TerminateAsync(TimeSpan.FromSeconds(60)));
        }
        finally
        {
            await service.DisposeAsync();
        }
    }

    [Fact]
    public async Task Failures_over_the_budget_auto_pause_the_campaign_and_the_CLI_steers_it_to_the_end()
    {
        var directory = Path.Combine(Path.GetTempPath(), "capi-upgrade-service-it", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        await using var fleet = await FleetAsync(4);
        var kubeconfig = Path.Combine(directory, "management.kubeconfig");
        await fleet.WriteKubeconfigAsync(kubeconfig);
        var specFile = Path.Combine(directory, "campaign.yaml");
        await File.WriteAllTextAsync(specFile, Spec("budget", budget: 1, approval: false));
        var ordered = fleet.Clusters.Select(c => c.Key).Order(StringComparer.Ordinal).ToList();
        foreach (var failing in ordered.Take(2))
            await fleet.Faults.InjectAsync(new FaultSpec { Kind = FaultKind.NodeNeverReady, Cluster = failing });
        var environment = new Dictionary<string, string> { ["CAPI_UPGRADE_HOCON"] = "capi-upgrade.engine.machine-timeout = 4s\ncapi-upgrade.service.campaigns.passivate-finished-after = 1s" };

        await using var service = await ServiceProcess.StartAsync(
            ["--kubeconfig", kubeconfig, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--db", Path.Combine(directory, "journal.db")], environment, directory);
        var versions = await service.CliAsync("fleet", "versions");
        Assert.True(versions.Code == 0, versions.Err);
        Assert.Contains("4 cluster(s); versions: v1.29.4 ×4", versions.Out);
        // The preflight asks etcd too: a NOSPACE alarm excludes its cluster, naming the alarm; cleared, it is ok.
        var alarmed = fleet.Clusters.Single(c => c.Key == ordered[2]);
        var alarm = new FaultSpec { Kind = FaultKind.EtcdAlarmNospace, Cluster = alarmed.Key, Member = alarmed.InitialMachines[0] };
        await fleet.Faults.InjectAsync(alarm);
        var alarmedPreflight = await service.CliAsync("fleet", "preflight", "--to", Target, "-o", "json");
        Assert.True(alarmedPreflight.Code == 0, alarmedPreflight.Err);
        var byCluster = Json(alarmedPreflight.Out).EnumerateArray().ToDictionary(r => r.GetProperty("cluster").GetString()!);
        Assert.Equal("EtcdUnhealthy", byCluster.Single(p => p.Key.EndsWith(ordered[2], StringComparison.Ordinal)).Value.GetProperty("result").GetString());
        Assert.Contains("NOSPACE", byCluster.Single(p => p.Key.EndsWith(ordered[2], StringComparison.Ordinal)).Value.GetProperty("findings").ToString());
        Assert.Equal(3, byCluster.Values.Count(r => r.GetProperty("result").GetString() == "ok"));
        await fleet.Faults.ClearAsync(alarm);
        var preflight = await service.CliAsync("fleet", "preflight", "--to", Target, "-o", "json");
        Assert.True(preflight.Code == 0, preflight.Err);
        Assert.All(Json(preflight.Out).EnumerateArray(), r => Assert.Equal("ok", r.GetProperty("result").GetString()));
        var members = await service.CliAsync("etcd", "members", ordered[3]);
        Assert.True(members.Code == 0, members.Err);
        Assert.Contains("3 voter(s), 0 learner(s)", members.Out);
        var health = await service.CliAsync("etcd", "health", ordered[3], "-o", "json");
        Assert.True(health.Code == 0, health.Err);
        Assert.True(Json(health.Out).GetProperty("healthy").GetBoolean(), health.Out);

        var start = await service.CliAsync("campaign", "start", specFile);
        Assert.True(start.Code == 0, start.Err);

        await Until(service, async () => (await CampaignAsync(service, "budget")).GetProperty("phase").GetString() == "Paused",
            TimeSpan.FromSeconds(90), "the campaign pauses itself");
        var paused = await CampaignAsync(service, "budget");
        Assert.Contains("failure budget exceeded", paused.GetProperty("pauseReason").GetString());
        Assert.Equal(2, paused.GetProperty("failureCount").GetInt32());
        var states = paused.GetProperty("clusters").EnumerateArray().ToDictionary(c => c.GetProperty("cluster").GetString()!, c => c.GetProperty("state").GetString());
        Assert.Equal("Failed", states[ordered[0]]);
        Assert.Equal("Failed", states[ordered[1]]);
        Assert.Equal("Pending", states[ordered[2]]);
        Assert.Equal("Pending", states[ordered[3]]);
        var list = await service.CliAsync("upgrade", "list");
        Assert.DoesNotContain(ordered[2], list.Out);
        Assert.DoesNotContain(ordered[3], list.Out);

        // A resume with the budget still exceeded is refused, saying what to do.
        var refused = await service.CliAsync("campaign", "resume", "budget");
        Assert.Equal(1, refused.Code);
        Assert.Contains("--accept-failures", refused.Err);

        // Fix the cause, retry one cluster through the CLI; skip the other; resume.
        await fleet.Faults.ClearAsync();
        // As an operator would, retry once the cause is visibly gone: the cluster's Nodes are Ready again.
        var recovered = fleet.Clusters.Single(c => c.Key == ordered[0]);
        var nodeType = recovered.ApiServer.Registry.FindByKind("v1", "Node")!;
        await Until(service, () => Task.FromResult(recovered.InitialMachines.All(n =>
                recovered.ApiServer.Store.TryGet(nodeType, null, n)?["status"]?["conditions"] is System.Text.Json.Nodes.JsonArray conditions
                && conditions.Any(c => c?["type"]?.GetValue<string>() == "Ready" && c["status"]?.GetValue<string>() == "True"))),
            TimeSpan.FromSeconds(30), "the Nodes of " + ordered[0] + " to be Ready again");
        var retry = await service.CliAsync("upgrade", "retry", ordered[0]);
        Assert.True(retry.Code == 0, retry.Err);
        var abort = await service.CliAsync("upgrade", "abort", ordered[1]);
        Assert.True(abort.Code == 0, abort.Err);
        await Until(service, async () => (await service.CliAsync("upgrade", "show", ordered[1], "-o", "json")).Out.Contains("\"phase\": \"Aborted\""),
            TimeSpan.FromSeconds(60), "the aborted upgrade ends");
        var skip = await service.CliAsync("campaign", "skip", "budget", ordered[1], "--reason", "aborted, later");
        Assert.True(skip.Code == 0, skip.Err);
        var resume = await service.CliAsync("campaign", "resume", "budget");
        Assert.True(resume.Code == 0, resume.Err);

        // Pause and resume a running upgrade through the CLI.
        await Until(service, async () => (await service.CliAsync("upgrade", "show", ordered[2], "-o", "json")).Out.Contains("\"phase\": \"Running\""),
            TimeSpan.FromSeconds(60), "the next cluster runs");
        var pause = await service.CliAsync("upgrade", "pause", ordered[2], "--reason", "look at it");
        Assert.True(pause.Code == 0, pause.Err);
        var shown = await service.CliAsync("upgrade", "show", ordered[2]);
        Assert.Contains("look at it", shown.Out);
        var resumed = await service.CliAsync("upgrade", "resume", ordered[2]);
        Assert.True(resumed.Code == 0, resumed.Err);

        await Until(service, async () => (await CampaignAsync(service, "budget")).GetProperty("phase").GetString() == "Completed",
            TimeSpan.FromSeconds(120), "the campaign completes");
        var done = await CampaignAsync(service, "budget");
        var final = done.GetProperty("clusters").EnumerateArray().ToDictionary(c => c.GetProperty("cluster").GetString()!, c => c.GetProperty("state").GetString());
        Assert.True(final[ordered[0]] == "Succeeded", (await service.CliAsync("upgrade", "events", ordered[0])).Out);
        Assert.Equal("Skipped", final[ordered[1]]);
        Assert.Equal("Succeeded", final[ordered[2]]);
        Assert.Equal("Succeeded", final[ordered[3]]);
        var actions = done.GetProperty("actions").EnumerateArray().Select(a => a.GetProperty("action").GetString()).ToList();
        Assert.Equal(["start", "auto-pause", "skip", "resume"], actions);
        var upgradeActions = Json((await service.CliAsync("upgrade", "show", ordered[2], "-o", "json")).Out).GetProperty("actions").EnumerateArray()
            .Select(a => a.GetProperty("action").GetString()).ToList();
        Assert.Contains("pause", upgradeActions);
        Assert.Contains("resume", upgradeActions);

        // Finished and idle, the campaign's actor leaves memory (and the remembered entities); the read model still
        // shows the campaign, and a command brings its actor back from the journal, as it finished.
        await Until(service, () => Task.FromResult(service.Output.Contains("campaign budget Completed; its actor leaves memory", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the finished campaign's actor leaves memory");
        Assert.Equal("Completed", (await CampaignAsync(service, "budget")).GetProperty("phase").GetString());
        var approveAfterwards = await service.CliAsync("campaign", "approve", "budget");
        Assert.Equal(1, approveAfterwards.Code);
        Assert.Contains("campaign budget is Completed", approveAfterwards.Err);
    }

    internal static int MaxOverlap(IEnumerable<(DateTimeOffset From, DateTimeOffset To)> spans)
    {
        var points = spans.SelectMany(s => new[] { (s.From, +1), (s.To, -1) }).OrderBy(p => p.Item1).ThenBy(p => p.Item2).ToList();
        int current = 0, max = 0;
        foreach (var (_, delta) in points) { current += delta; max = Math.Max(max, current); }
        return max;
    }

    private static IEnumerable<(DateTimeOffset From, DateTimeOffset To)> SurgeSpans(IReadOnlyList<ClusterInvariants> history)
    {
        DateTimeOffset? since = null;
        foreach (var h in history)
        {
            if (h.ControlPlaneMachines > 3 && since is null) since = h.Time;
            else if (h.ControlPlaneMachines <= 3 && since is { } s) { yield return (s, h.Time); since = null; }
        }
        if (since is { } open) yield return (open, DateTimeOffset.MaxValue);
    }

    private static Task<string> NewPostgresDatabaseAsync() =>
        PostgresTestDatabase.CreateFromEnvironmentAsync("capi_service_");
}
