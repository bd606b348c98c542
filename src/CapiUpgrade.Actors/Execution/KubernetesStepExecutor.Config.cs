using System.Text.Json.Nodes;
using CapiConventions = CapiUpgrade.Core.Capi.CapiConventions;
using CapiUpgrade.Core.Kubeadm;
using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Core.Versions;
using CapiUpgrade.Kubernetes.Workload;

namespace CapiUpgrade.Actors.Execution;

public sealed partial class KubernetesStepExecutor
{
    /// <summary>
    /// The seed's steps 2–4 and 7 for one hop: kubelet ConfigMap and its RBAC for the hop's minor, then
    /// kubeadm-config's kubernetesVersion (and API endpoints without a Node dropped), retrying on conflict.
    /// </summary>
    private async Task<StepOutcome> UpdateClusterConfigAsync(StepRequest request, CancellationToken ct)
    {
        if (await GateAsync(request, ct) is { } blocked) return blocked;
        var hop = KubernetesVersion.Parse(request.State.CurrentHopVersion);
        var workload = await _access.Workloads.GetAsync(_key, ct);
        var done = new List<string>();

        // kubelet ConfigMap: `kubelet-config` from 1.24 (nothing to copy); `kubelet-config-X.Y` before, copied from the previous minor's.
        var previous = new KubernetesVersion(hop.Major, hop.Minor - 1, 0);
        if (KubeletConfigNames.NeedsNewConfigMap(previous, hop))
        {
            var source = await workload.GetConfigMapAsync(CapiConventions.KubeSystemNamespace, KubeletConfigNames.ConfigMapName(previous), ct);
            if (source is null)
                return new StepOutcome.Blocked($"ConfigMap kube-system/{KubeletConfigNames.ConfigMapName(previous)} of cluster {_cluster} is missing, so kube-system/{KubeletConfigNames.ConfigMapName(hop)} cannot be copied from it: restore it, then resume");
            var (_, created) = await workload.CreateOrGetConfigMapAsync(CapiConventions.KubeSystemNamespace, KubeletConfigNames.ConfigMapName(hop), source.Data, ct);
            if (created) done.Add("created ConfigMap " + KubeletConfigNames.ConfigMapName(hop));
        }
        var roleName = KubeletConfigNames.RoleName(hop);
        var rules = new[] { new RbacRule([""], ["configmaps"], ["get"], [KubeletConfigNames.ConfigMapName(hop)]) };
        var subjects = new[] { new RbacSubject("Group", KubeletConfigNames.NodesGroup), new RbacSubject("Group", KubeletConfigNames.BootstrapTokenGroup) };
        if (await workload.EnsureRoleAsync(CapiConventions.KubeSystemNamespace, roleName, rules, ct)) done.Add("created Role " + roleName);
        if (await workload.EnsureRoleBindingAsync(CapiConventions.KubeSystemNamespace, roleName, roleName, subjects, ct)) done.Add("created RoleBinding " + roleName);
        if (await workload.EnsureClusterRoleAsync(KubeletConfigNames.GetNodesName, [new RbacRule([""], ["nodes"], ["get"])], ct)) done.Add("created ClusterRole " + KubeletConfigNames.GetNodesName);
        if (await workload.EnsureClusterRoleBindingAsync(KubeletConfigNames.GetNodesName, KubeletConfigNames.GetNodesName, [new RbacSubject("Group", KubeletConfigNames.BootstrapTokenGroup)], ct))
            done.Add("created ClusterRoleBinding " + KubeletConfigNames.GetNodesName);

        var nodes = (await workload.ListNodesAsync(ct)).Select(n => n.Name).ToList();
        var patch = ParsePatch(request.State.Options.KubeadmConfigPatch, "--kubeadm-config-patch");
        var stored = await workload.UpdateConfigMapAsync(CapiConventions.KubeSystemNamespace, CapiConventions.KubeadmConfigMapName, data =>
        {
            var configMap = new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = CapiConventions.KubeadmConfigMapName, ["namespace"] = CapiConventions.KubeSystemNamespace },
                ["data"] = new JsonObject(data.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
            };
            var edit = KubeadmConfigMap.SetKubernetesVersion(configMap, hop);
            var changed = edit.Changed;
            var endpoints = KubeadmConfigMap.ReconcileApiEndpoints(edit.ConfigMap, nodes);
            changed |= endpoints.Changed;
            var result = endpoints.ConfigMap;
            if (patch is not null)
            {
                var patched = KubeadmConfigMap.ApplyClusterConfigurationPatch(result, patch);
                changed |= patched.Changed;
                result = patched.ConfigMap;
            }
            if (!changed) return null;
            return ((JsonObject)result["data"]!).ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>());
        }, ct);
        if (stored is null)
            return new StepOutcome.Blocked($"ConfigMap kube-system/kubeadm-config of cluster {_cluster} does not exist: the workload cluster was not created by kubeadm or the ConfigMap was deleted; restore it, then resume");
        done.Add($"kubeadm-config kubernetesVersion {hop}");
        return new StepOutcome.Succeeded(string.Join("; ", done));
    }

    /// <summary>Rule 9: the init KubeadmConfig goes with its Machine; the certificate secrets move to the Cluster first.</summary>
    private async Task<StepOutcome> ReownSecretsAsync(CancellationToken ct)
    {
        var result = await Api.ReownCertificateSecretsAsync(_key, ct);
        if (result.Missing.Count > 0)
            return new StepOutcome.Blocked($"certificate secret(s) {string.Join(", ", result.Missing)} of cluster {_cluster} are missing: restore them before the init Machine goes, then resume");
        return new StepOutcome.Succeeded($"certificate secrets owned by Cluster {_cluster}: re-owned {string.Join(", ", result.Reowned)}");
    }
}
