using Akka.Actor;
using CapiUpgrade.Actors.ClusterUpgrade;
using CapiUpgrade.Actors.Execution;
using CapiUpgrade.Actors.Persistence;
using CapiUpgrade.Actors.Protocol;
using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Core.Versions;
using CapiUpgrade.Kubernetes.Management;
using static CapiUpgrade.Actors.Protocol.ClusterUpgradeCommands;
using static CapiUpgrade.Actors.Protocol.ClusterUpgradeReplies;
using static CapiUpgrade.Core.Upgrades.ClusterUpgradeEvents;
using ClusterKey = CapiUpgrade.Core.Upgrades.ClusterKey;

namespace CapiUpgrade.Cli.Run;

/// <summary>What `capi-upgrade run` was asked to do.</summary>
public sealed record RunOptions
{
    public required string Kubeconfig { get; init; }
    public required ClusterKey Cluster { get; init; }
    public required string To { get; init; }
    public string? UpgradeId { get; init; }
    public string Db { get; init; } = "capi-upgrade.db";
    public TimeSpan? MachineTimeout { get; init; }
    public string? InfrastructurePatch { get; init; }
    public string? BootstrapPatch { get; init; }
    public string? KubeadmConfigPatch { get; init; }
    public bool AllowSingleNode { get; init; }
    /// <summary>How etcd members are reached (`--etcd-access`).</summary>
    public EtcdAccess EtcdAccess { get; init; } = EtcdAccess.Direct;
    public bool Retry { get; init; }
    public bool DryRun { get; init; }
    /// <summary>The command line to print when the upgrade pauses (how to go on).</summary>
    public string? CommandLine { get; init; }
}

/// <summary>Exit codes of `capi-upgrade run`.</summary>
public static class RunExitCodes
{
    public const int Succeeded = 0;
    public const int Error = 1;
    public const int Refused = 2;
    public const int Paused = 3;
    public const int Aborted = 4;
}

/// <summary>
/// `capi-upgrade run`: the seed tool's one-shot mode. The engine runs in-process with its journal in a local
/// SQLite file; the upgrade id derives from the cluster and target, so a rerun with the same arguments resumes.
/// </summary>
public static class UpgradeRun
{
    public static async Task<int> RunAsync(RunOptions o, TextWriter output, CancellationToken ct)
    {
        if (!KubernetesVersion.TryParse(o.To, out var target, out var versionError))
        {
            await output.WriteLineAsync($"--to: {versionError}");
            return RunExitCodes.Error;
        }
        var upgradeId = o.UpgradeId ?? Core.Naming.UpgradeId.Derive(o.Cluster.Namespace, o.Cluster.Name, target, o.Cluster.Management);
        if (Core.Naming.UpgradeId.Validate(upgradeId) is { } invalid)
        {
            await output.WriteLineAsync(invalid.Message);
            return RunExitCodes.Error;
        }
        await using var registry = new ManagementClusterRegistry();
        try
        {
            registry.Add(ManagementClusterAccess.FromKubeconfigFile(o.Kubeconfig, options: KubernetesAccessOptions.Default with { EtcdAccess = o.EtcdAccess }));
        }
        catch (Exception e) when (e is FileNotFoundException or IOException or k8s.Exceptions.KubeConfigException)
        {
            await output.WriteLineAsync($"--kubeconfig: {e.Message}");
            return RunExitCodes.Error;
        }
        var executors = new KubernetesStepExecutorFactory(registry);
        var options = new UpgradeOptions
        {
            AllowSingleNode = o.AllowSingleNode,
            InfrastructurePatch = o.InfrastructurePatch,
            BootstrapPatch = o.BootstrapPatch,
            KubeadmConfigPatch = o.KubeadmConfigPatch,
        };
        if (o.DryRun)
            return await DryRunAsync(o, executors, upgradeId, target, options with { MachineTimeout = o.MachineTimeout ?? options.MachineTimeout }, output, ct);

        await using var engine = await EngineHost.StartAsync(EnginePersistenceOptions.SqliteFile(o.Db), ct: ct);
        var defaults = EngineSettings.DefaultOptions(engine.System.Settings.Config);
        options = options with { MachineTimeout = o.MachineTimeout ?? defaults.MachineTimeout, MaxStepAttempts = defaults.MaxStepAttempts };
        var actor = engine.UpgradeActor(o.Cluster, executors, "cluster-upgrade");
        var ask = TimeSpan.FromSeconds(60);

        var status = await actor.Ask<UpgradeStatus>(new GetUpgradeStatus(o.Cluster), ask, ct);
        object command = status.UpgradeId == upgradeId && status.Phase == UpgradePhase.Paused
            ? o.Retry ? new RetryUpgrade(o.Cluster, "cli") : new ResumeUpgrade(o.Cluster, "cli")
            : new StartUpgrade(o.Cluster, upgradeId, target.ToString(), options, "cli");
        var reply = await actor.Ask<object>(command, ask, ct);
        if (reply is CommandRejected rejected)
        {
            await output.WriteLineAsync($"refused: {rejected.Reason}");
            return RunExitCodes.Refused;
        }
        if (command is StartUpgrade && status.UpgradeId == upgradeId && status.Phase != UpgradePhase.None)
            await output.WriteLineAsync($"resuming upgrade {upgradeId} of {o.Cluster} from journal {Path.GetFullPath(o.Db)}");
        else if (command is StartUpgrade)
            await output.WriteLineAsync($"upgrading {o.Cluster} to {target} (upgrade id {upgradeId}, journal {Path.GetFullPath(o.Db)})");
        else
            await output.WriteLineAsync($"{(o.Retry ? "retrying" : "resuming")} upgrade {upgradeId} of {o.Cluster}");

        engine.Follow(actor, o.Cluster);
        var started = DateTimeOffset.UtcNow;
        await foreach (var progress in engine.Progress.ReadAllAsync(ct))
        {
            if (progress.Event is { } e) await output.WriteLineAsync(Describe(e));
            var s = progress.Status;
            if (s.UpgradeId != upgradeId) continue;
            switch (s.Phase)
            {
                case UpgradePhase.Succeeded:
                    await output.WriteLineAsync($"upgrade {upgradeId} of {o.Cluster} succeeded: control plane at {s.Hops.LastOrDefault() ?? s.TargetVersion}, {s.MachinesReplaced} Machine(s) replaced in {DateTimeOffset.UtcNow - started:mm\\:ss}; claim released.");
                    await output.WriteLineAsync("Workers (MachineDeployments) and add-ons (CoreDNS, kube-proxy) are not upgraded yet.");
                    return RunExitCodes.Succeeded;
                case UpgradePhase.Refused:
                    await output.WriteLineAsync($"refused: {s.PauseReason}");
                    return RunExitCodes.Refused;
                case UpgradePhase.Aborted:
                    await output.WriteLineAsync($"upgrade {upgradeId} of {o.Cluster} aborted after {s.MachinesReplaced} Machine(s); claim released.");
                    return RunExitCodes.Aborted;
                case UpgradePhase.Paused when s.CurrentStep is null || progress.Event is UpgradePaused:
                    await output.WriteLineAsync($"paused: {s.PauseReason}");
                    var again = o.CommandLine ?? $"capi-upgrade run --kubeconfig {o.Kubeconfig} --cluster {o.Cluster} --to {o.To} --db {o.Db}";
                    await output.WriteLineAsync(s.Machines.Any(m => m.Stage == nameof(ReplacementStage.ReplacementFailed))
                        ? $"to go on once the cause is fixed: {again} --retry   (removes the failed replacement and creates it again; without --retry it waits for it again)"
                        : $"to go on once the cause is fixed: {again}");
                    return RunExitCodes.Paused;
            }
        }
        return RunExitCodes.Error;
    }

    /// <summary>One progress line per event.</summary>
    public static string Describe(IClusterUpgradeEvent e)
    {
        var time = e.At.ToString("HH:mm:ss");
        var what = e switch
        {
            UpgradeStarted s => $"upgrade {s.UpgradeId} to {s.TargetVersion} started",
            UpgradePlanned p => $"plan: {p.FromVersion} → {string.Join(" → ", p.Hops)}",
            HopPlanned h => $"hop {h.HopIndex + 1} to {h.Version}: replace {string.Join(", ", h.Machines.Select(m => m.OldMachine))}" +
                            (h.StaleMembers.Count > 0 ? $"; stale etcd members {string.Join(", ", h.StaleMembers)}" : ""),
            StepStarted s => $"→ {Step(s.Step, s.Machine)}" + (s.Attempt > 0 ? $" (attempt {s.Attempt + 1})" : ""),
            StepSucceeded s => $"✓ {Step(s.Step, s.Machine)}" + (s.Detail is { Length: > 0 } d ? $": {d}" : ""),
            StepFailed f => $"! {Step(f.Step, f.Machine)} failed (attempt {f.Attempt}): {f.Error}",
            ReplacementFailed r => $"✗ replacement {r.Replacement} of {r.Machine} failed: {r.Reason}",
            UpgradePaused p => $"‖ paused by {p.By}: {p.Reason}",
            UpgradeResumed r => $"▶ resumed by {r.By}",
            RetryRequested r => $"▶ retry requested by {r.By}",
            AbortRequested a => $"■ abort requested by {a.By}",
            UpgradeRefused r => $"✗ refused: {r.Reason}",
            UpgradeSucceeded s => $"✓ upgrade succeeded: {s.MachinesReplaced} Machine(s) replaced, control plane at {s.Version}",
            UpgradeAborted a => $"■ upgrade aborted after {a.MachinesReplaced} Machine(s)",
            _ => e.GetType().Name,
        };
        return $"[{time}] {e.Cluster} {what}";
    }

    private static string Step(UpgradeStep step, string? machine) => machine is null ? step.ToString() : $"{step} {machine}";

    private static async Task<int> DryRunAsync(RunOptions o, IStepExecutorFactory executors, string upgradeId, KubernetesVersion target, UpgradeOptions options, TextWriter output, CancellationToken ct)
    {
        var state = ClusterUpgradeState.Empty(o.Cluster).Apply(new UpgradeStarted(o.Cluster, upgradeId, target.ToString(), options, "dry-run", DateTimeOffset.UtcNow));
        var step = new StepRef(UpgradeStep.Preflight, null);
        var outcome = await executors.For(o.Cluster).ExecuteAsync(new StepRequest(state, step, DateTimeOffset.UtcNow.AddMinutes(2)), ct);
        await output.WriteLineAsync($"dry run of upgrade {upgradeId}: {o.Cluster} to {target} (nothing is written)");
        if (outcome is not StepOutcome.Succeeded { Preflight: { } report })
        {
            await output.WriteLineAsync($"preflight could not run: {outcome}");
            return RunExitCodes.Error;
        }
        var decision = ClusterUpgradeDecider.Decide(state.Apply(new StepStarted(o.Cluster, upgradeId, UpgradeStep.Preflight, null, 0, DateTimeOffset.UtcNow)),
            new UpgradeCommand.CompleteStep(UpgradeStep.Preflight, null, outcome), DateTimeOffset.UtcNow);
        await output.WriteLineAsync($"control plane at {report.FromVersion}; hops: {(report.Hops.Count == 0 ? "none" : string.Join(" → ", report.Hops))}");
        if (report.Hops.Count > 0)
        {
            var plan = HopPlanner.Plan(report.Observation, report.Hops[0]);
            await output.WriteLineAsync($"Machines to replace in hop 1 (one at a time, surge 1): {string.Join(", ", plan.Select(m => m.OldMachine + (m.IsInitMachine ? " (init: certificate secrets re-owned first)" : "")))}");
        }
        var members = report.Observation.Members;
        await output.WriteLineAsync($"etcd: {members.Count(m => !m.IsLearner)} voting member(s), {members.Count(m => m.IsLearner)} learner(s), {members.Count(m => !m.Healthy)} unhealthy; alarms: {(report.Observation.Alarms.Count == 0 ? "none" : string.Join(", ", report.Observation.Alarms))}");
        var stale = SafetyCheck.StaleMembers(report.Observation);
        if (stale.Count > 0) await output.WriteLineAsync($"stale etcd members to remove first: {string.Join(", ", stale.Select(m => m.Name))}");
        var findings = decision.Events.OfType<UpgradeRefused>().Select(r => "refused: " + r.Reason)
            .Concat(decision.Events.OfType<UpgradePaused>().Select(p => "would pause: " + p.Reason)).ToList();
        foreach (var f in findings) await output.WriteLineAsync(f);
        if (findings.Count == 0) await output.WriteLineAsync("preflight: no findings; the upgrade can start.");
        await output.WriteLineAsync("Workers (MachineDeployments) and add-ons (CoreDNS, kube-proxy) are not upgraded yet.");
        return findings.Count == 0 ? RunExitCodes.Succeeded : RunExitCodes.Refused;
    }
}
