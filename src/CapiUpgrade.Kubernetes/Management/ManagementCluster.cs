using System.Text.Json.Nodes;
using CapiUpgrade.Core.Capi;
using CapiUpgrade.Kubernetes.Api;
using CapiUpgrade.Kubernetes.Retries;
using k8s.Models;

namespace CapiUpgrade.Kubernetes.Management;

/// <summary>The management cluster's API over KubernetesClient (see <see cref="IManagementCluster"/>).</summary>
internal sealed class ManagementCluster(string name, ResourceClient resources, RetryOptions retry) : IManagementCluster
{
    public string Name => name;

    internal ResourceClient Resources => resources;

    public Task<JsonObject?> GetAsync(ResourceKind kind, string @namespace, string name, CancellationToken cancellationToken) =>
        resources.GetAsync(kind, @namespace, name, cancellationToken);

    public async Task<IReadOnlyList<JsonObject>> ListAsync(ResourceKind kind, string? @namespace, string? labelSelector, CancellationToken cancellationToken) =>
        (await resources.ListAsync(kind, @namespace, labelSelector, cancellationToken)).Items;

    public async Task<CreateOrGetResult> CreateOrGetAsync(ResourceKind kind, JsonObject obj, CancellationToken cancellationToken)
    {
        var (ns, objName) = NameOf(kind, obj);
        obj["apiVersion"] ??= kind.ApiVersion;
        obj["kind"] ??= kind.Kind;
        try
        {
            return new CreateOrGetResult(await resources.CreateAsync(kind, ns, obj, cancellationToken), true);
        }
        catch (KubernetesApiException e) when (e.Reason == "AlreadyExists" || (e.StatusCode == System.Net.HttpStatusCode.Conflict && !e.IsConflict))
        {
            var existing = await resources.GetAsync(kind, ns, objName, cancellationToken);
            if (existing is not null)
                return new CreateOrGetResult(existing, false);
            // Deleted between our POST and GET: try once more.
            return new CreateOrGetResult(await resources.CreateAsync(kind, ns, obj, cancellationToken), true);
        }
    }

    public async Task<JsonObject?> UpdateAsync(ResourceKind kind, string @namespace, string name, Func<JsonObject, bool> mutate, CancellationToken cancellationToken)
    {
        KubernetesApiException? lastConflict = null;
        for (var attempt = 1; attempt <= Math.Max(1, retry.MaxConflictAttempts); attempt++)
        {
            var current = await resources.GetAsync(kind, @namespace, name, cancellationToken);
            if (current is null)
                return null;
            var resourceVersion = current["metadata"]?["resourceVersion"]?.GetValue<string>();
            var copy = current.DeepClone().AsObject();
            if (!mutate(copy))
                return current;
            copy["metadata"]!["resourceVersion"] = resourceVersion;
            try
            {
                return await resources.ReplaceAsync(kind, @namespace, name, copy, cancellationToken);
            }
            catch (KubernetesApiException e) when (e.IsConflict)
            {
                lastConflict = e;
                await Task.Delay(retry.BackoffAfter(attempt) / 4, cancellationToken);
            }
        }
        throw new KubernetesApiException(
            $"UPDATE {ResourceClient.Describe(kind, @namespace, name)} on {resources.Server} kept conflicting with concurrent writers after {retry.MaxConflictAttempts} attempts; " +
            "find who else writes it, or raise the conflict retry budget.", lastConflict?.StatusCode, lastConflict?.Reason, lastConflict);
    }

    public Task<JsonObject> ReplaceAsync(ResourceKind kind, JsonObject obj, CancellationToken cancellationToken)
    {
        var (ns, objName) = NameOf(kind, obj);
        return resources.ReplaceAsync(kind, ns, objName, obj, cancellationToken);
    }

    public Task<JsonObject?> MergePatchAsync(ResourceKind kind, string @namespace, string name, JsonObject patch, CancellationToken cancellationToken) =>
        resources.PatchAsync(kind, @namespace, name, patch, V1Patch.PatchType.MergePatch, cancellationToken);

    public Task<JsonObject?> JsonPatchAsync(ResourceKind kind, string @namespace, string name, JsonArray operations, CancellationToken cancellationToken) =>
        resources.PatchAsync(kind, @namespace, name, operations, V1Patch.PatchType.JsonPatch, cancellationToken);

    public Task<bool> DeleteAsync(ResourceKind kind, string @namespace, string name, CancellationToken cancellationToken, string? uid = null) =>
        resources.DeleteAsync(kind, @namespace, name, uid, cancellationToken);

    public async Task<IReadOnlyList<JsonObject>> ListControlPlaneMachinesAsync(ClusterKey cluster, CancellationToken cancellationToken)
    {
        var machines = await ListAsync(ResourceKind.Machine, cluster.Namespace,
            $"{CapiConventions.ClusterNameLabel}={cluster.Name},{CapiConventions.ControlPlaneLabel}", cancellationToken);
        return machines.OrderBy(m => m["metadata"]?["name"]?.GetValue<string>(), StringComparer.Ordinal).ToList();
    }

    public Task<ClusterClaimResult> ClaimClusterAsync(ClusterKey cluster, string upgradeId, CancellationToken cancellationToken) =>
        ChangeClaimAsync(cluster, upgradeId, claim: true, cancellationToken);

    public Task<ClusterClaimResult> ReleaseClusterAsync(ClusterKey cluster, string upgradeId, CancellationToken cancellationToken) =>
        ChangeClaimAsync(cluster, upgradeId, claim: false, cancellationToken);

    private async Task<ClusterClaimResult> ChangeClaimAsync(ClusterKey cluster, string upgradeId, bool claim, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(upgradeId))
            throw new ArgumentException("The upgrade id is empty; every upgrade needs an id to claim its Cluster.", nameof(upgradeId));
        string? holder = null;
        var outcome = "";
        var updated = await UpdateAsync(ResourceKind.Cluster, cluster.Namespace, cluster.Name, current =>
        {
            holder = current["metadata"]?["annotations"]?[CapiConventions.UpgradeIdAnnotation]?.GetValue<string>();
            if (claim)
            {
                if (holder == upgradeId) { outcome = "held"; return false; }
                if (!string.IsNullOrEmpty(holder)) { outcome = "refused"; return false; }
                var metadata = current["metadata"]!.AsObject();
                if (metadata["annotations"] is not JsonObject annotations)
                    metadata["annotations"] = annotations = new JsonObject();
                annotations[CapiConventions.UpgradeIdAnnotation] = upgradeId;
                outcome = "claimed";
                return true;
            }
            if (string.IsNullOrEmpty(holder)) { outcome = "free"; return false; }
            if (holder != upgradeId) { outcome = "refused"; return false; }
            current["metadata"]!["annotations"]!.AsObject().Remove(CapiConventions.UpgradeIdAnnotation);
            outcome = "released";
            return true;
        }, cancellationToken);

        if (updated is null)
            return new ClusterClaimResult(cluster, false, null, true,
                $"Cluster {cluster} does not exist on management cluster '{Name}'; check the namespace and name.");
        return outcome switch
        {
            "refused" => new ClusterClaimResult(cluster, false, holder, false, claim
                ? $"Cluster {cluster} is claimed by upgrade '{holder}' (annotation {CapiConventions.UpgradeIdAnnotation}); let that upgrade finish or abort it, or, if it is dead, remove the annotation."
                : $"Cluster {cluster} is claimed by upgrade '{holder}', not by '{upgradeId}'; nothing was released."),
            "held" => new ClusterClaimResult(cluster, true, upgradeId, false, $"Cluster {cluster} was already claimed by upgrade '{upgradeId}'."),
            "claimed" => new ClusterClaimResult(cluster, true, upgradeId, false, $"Cluster {cluster} claimed by upgrade '{upgradeId}'."),
            "free" => new ClusterClaimResult(cluster, true, null, false, $"Cluster {cluster} was not claimed; nothing to release."),
            _ => new ClusterClaimResult(cluster, true, null, false, $"Cluster {cluster} released by upgrade '{upgradeId}'."),
        };
    }

    public async Task<CertificateSecretsReowned> ReownCertificateSecretsAsync(ClusterKey cluster, CancellationToken cancellationToken)
    {
        var clusterObject = await GetAsync(ResourceKind.Cluster, cluster.Namespace, cluster.Name, cancellationToken)
            ?? throw new KubernetesApiException($"Cluster {cluster} does not exist on management cluster '{Name}'; cannot re-own its certificate secrets.", System.Net.HttpStatusCode.NotFound, "NotFound");
        var clusterUid = clusterObject["metadata"]?["uid"]?.GetValue<string>()
            ?? throw new KubernetesApiException($"Cluster {cluster} has no metadata.uid; cannot reference it as owner.", null, null);
        var reowned = new List<string>();
        var alreadyOwned = new List<string>();
        var missing = new List<string>();
        foreach (var suffix in CapiConventions.CertificateSecretSuffixes)
        {
            var secretName = cluster.Name + suffix;
            var changed = false;
            var result = await UpdateAsync(ResourceKind.Secret, cluster.Namespace, secretName, secret =>
            {
                changed = CertificateOwnership.ReownToCluster(secret, cluster.Name, clusterUid);
                return changed;
            }, cancellationToken);
            if (result is null) missing.Add(secretName);
            else if (changed) reowned.Add(secretName);
            else alreadyOwned.Add(secretName);
        }
        return new CertificateSecretsReowned(cluster, reowned, alreadyOwned, missing);
    }

    public async Task<IReadOnlyDictionary<string, byte[]>?> GetSecretDataAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        var secret = await GetAsync(ResourceKind.Secret, @namespace, name, cancellationToken);
        if (secret is null)
            return null;
        var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (secret["data"] is JsonObject encoded)
        {
            foreach (var (key, value) in encoded)
            {
                if (value?.GetValue<string>() is { } base64)
                    data[key] = Convert.FromBase64String(base64);
            }
        }
        if (secret["stringData"] is JsonObject plain)
        {
            foreach (var (key, value) in plain)
            {
                if (value?.GetValue<string>() is { } text)
                    data[key] = System.Text.Encoding.UTF8.GetBytes(text);
            }
        }
        return data;
    }

    private static (string Namespace, string Name) NameOf(ResourceKind kind, JsonObject obj)
    {
        var metadata = obj["metadata"];
        var ns = metadata?["namespace"]?.GetValue<string>();
        var objName = metadata?["name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(ns) || string.IsNullOrEmpty(objName))
            throw new ArgumentException($"The {kind.Kind} object needs metadata.namespace and metadata.name (got '{ns}'/'{objName}'); set both before writing it.", nameof(obj));
        return (ns, objName);
    }
}
