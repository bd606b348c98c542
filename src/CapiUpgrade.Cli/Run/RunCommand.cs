using System.CommandLine;
using CapiUpgrade.Core.Upgrades;

namespace CapiUpgrade.Cli.Run;

/// <summary>
/// `capi-upgrade run --kubeconfig FILE --cluster NAMESPACE/NAME --to VERSION [--upgrade-id ID] [--db FILE]
/// [--machine-timeout 15m] [--infra-patch FILE] [--bootstrap-patch FILE] [--kubeadm-config-patch FILE]
/// [--allow-single-node] [--etcd-access direct|port-forward] [--retry] [--dry-run]`.
/// </summary>
public static class RunCommand
{
    public static Command Build()
    {
        var kubeconfig = new Option<FileInfo>("--kubeconfig") { Description = "kubeconfig of the management cluster", Required = true };
        var cluster = new Option<string>("--cluster") { Description = "the Cluster to upgrade, NAMESPACE/NAME", Required = true };
        var to = new Option<string>("--to") { Description = "target Kubernetes version, e.g. v1.30.2 (more than one minor ahead: upgraded as a chain of hops)", Required = true };
        var upgradeId = new Option<string?>("--upgrade-id") { Description = "upgrade id (default: derived from the cluster and target, so a rerun resumes)" };
        var db = new Option<FileInfo>("--db") { Description = "SQLite journal file", DefaultValueFactory = _ => new FileInfo("capi-upgrade.db") };
        var machineTimeout = new Option<string?>("--machine-timeout") { Description = "how long a replacement may take to be Ready, e.g. 15m, 90s, 1h (default 15m)" };
        var infraPatch = new Option<FileInfo?>("--infra-patch") { Description = "JSON patch (RFC 6902) or merge patch file applied to the cloned infrastructure object" };
        var bootstrapPatch = new Option<FileInfo?>("--bootstrap-patch") { Description = "patch file applied to the cloned KubeadmConfig" };
        var kubeadmPatch = new Option<FileInfo?>("--kubeadm-config-patch") { Description = "patch file applied to kubeadm-config's ClusterConfiguration" };
        var allowSingle = new Option<bool>("--allow-single-node") { Description = "accept the risk of upgrading a 1-node control plane (etcd goes 1 → 2 → 1 members)" };
        var etcdAccess = new Option<string>("--etcd-access")
        {
            Description = "how to reach the workload etcd members: direct (their advertised client URLs, the default) or port-forward (through the workload API server, as KubeadmControlPlane does)",
            DefaultValueFactory = _ => Kubernetes.Management.EtcdAccessNames.Direct,
        };
        var retry = new Option<bool>("--retry") { Description = "after a failed replacement: remove it (Machine and etcd member) and go on" };
        var dryRun = new Option<bool>("--dry-run") { Description = "print the plan (hops, Machines to replace, preflight findings); write nothing" };

        var command = new Command("run", "Upgrade one cluster's control plane in-process (journal in a local SQLite file); rerun with the same arguments to resume.")
        {
            kubeconfig, cluster, to, upgradeId, db, machineTimeout, infraPatch, bootstrapPatch, kubeadmPatch, allowSingle, etcdAccess, retry, dryRun,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (!ClusterKey.TryParse(parse.GetValue(cluster)!, out var key))
            {
                Console.Error.WriteLine($"--cluster '{parse.GetValue(cluster)}' is not NAMESPACE/NAME: write it as e.g. default/my-cluster");
                return RunExitCodes.Error;
            }
            TimeSpan? timeout = null;
            if (parse.GetValue(machineTimeout) is { } t)
            {
                if (!TryParseDuration(t, out var parsed))
                {
                    Console.Error.WriteLine($"--machine-timeout '{t}' is not a duration: write e.g. 15m, 90s or 1h");
                    return RunExitCodes.Error;
                }
                timeout = parsed;
            }
            string? Read(Option<FileInfo?> option)
            {
                var file = parse.GetValue(option);
                if (file is null) return null;
                if (!file.Exists) throw new FileNotFoundException($"{option.Name}: the file {file.FullName} does not exist");
                return File.ReadAllText(file.FullName);
            }
            RunOptions options;
            try
            {
                options = new RunOptions
                {
                    Kubeconfig = parse.GetValue(kubeconfig)!.FullName,
                    Cluster = key!,
                    To = parse.GetValue(to)!,
                    UpgradeId = parse.GetValue(upgradeId),
                    Db = parse.GetValue(db)!.FullName,
                    MachineTimeout = timeout,
                    InfrastructurePatch = Read(infraPatch),
                    BootstrapPatch = Read(bootstrapPatch),
                    KubeadmConfigPatch = Read(kubeadmPatch),
                    AllowSingleNode = parse.GetValue(allowSingle),
                    EtcdAccess = Kubernetes.Management.EtcdAccessNames.Parse(parse.GetValue(etcdAccess)!, "--etcd-access"),
                    Retry = parse.GetValue(retry),
                    DryRun = parse.GetValue(dryRun),
                    CommandLine = "capi-upgrade " + string.Join(' ', parse.Tokens.Select(x => x.Value).Where(v => v != "--retry")),
                };
            }
            catch (Exception e) when (e is FileNotFoundException or ArgumentException)
            {
                Console.Error.WriteLine(e.Message);
                return RunExitCodes.Error;
            }
            return await UpgradeRun.RunAsync(options, Console.Out, ct);
        });
        return command;
    }

    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        text = text.Trim();
        if (text.Length < 2) return TimeSpan.TryParse(text, out duration);
        var unit = text[^1];
        if (!double.TryParse(text[..^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n) || n <= 0)
            return TimeSpan.TryParse(text, out duration);
        duration = unit switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            _ => default,
        };
        return duration > TimeSpan.Zero;
    }
}
