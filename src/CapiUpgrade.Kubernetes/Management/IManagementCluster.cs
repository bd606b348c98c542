using System.Text.Json.Nodes;

namespace CapiUpgrade.Kubernetes.Management;

/// <summary>
/// Request/response access to one management cluster's API server (CAPI objects as <see cref="JsonObject"/>,
/// Secrets). Every call retries transient failures (429, 5xx, network) per <see cref="Retries.RetryOptions"/>;
/// conflicts (409) are retried only where it is safe: <see cref="UpdateAsync"/> re-applies its mutation to a
/// fresh object. Failures surface as <see cref="Retries.KubernetesApiException"/> with a readable message.
/// Thread-safe; share one instance per management cluster.
/// </summary>
public interface IManagementCluster
{
    /// <summary>The management cluster's configured name ("default" when there is only one).</summary>
    string Name { get; }

    /// <summary>GET one object; <c>null</c> when it does not exist (404).</summary>
    Task<JsonObject?> GetAsync(ResourceKind kind, string @namespace, string name, CancellationToken cancellationToken);

    /// <summary>LIST objects in a namespace (all namespaces when <paramref name="namespace"/> is null), optionally by label selector.</summary>
    Task<IReadOnlyList<JsonObject>> ListAsync(ResourceKind kind, string? @namespace, string? labelSelector, CancellationToken cancellationToken);

    /// <summary>
    /// Creates the object (namespace and name from its metadata); when it already exists (409 AlreadyExists)
    /// returns the existing one with <see cref="CreateOrGetResult.Created"/> = false. Idempotent.
    /// </summary>
    Task<CreateOrGetResult> CreateOrGetAsync(ResourceKind kind, JsonObject obj, CancellationToken cancellationToken);

    /// <summary>
    /// Read-modify-write with retry on conflict: GETs the object, passes a deep copy to <paramref name="mutate"/>,
    /// and PUTs the result preconditioned on the read resourceVersion; on 409 Conflict repeats with a fresh read.
    /// <paramref name="mutate"/> returns false to skip the write (nothing to change). Returns the stored object,
    /// or <c>null</c> when the object does not exist.
    /// </summary>
    Task<JsonObject?> UpdateAsync(ResourceKind kind, string @namespace, string name, Func<JsonObject, bool> mutate, CancellationToken cancellationToken);

    /// <summary>
    /// PUTs <paramref name="obj"/> as is, preconditioned on its <c>metadata.resourceVersion</c>; never retries a
    /// conflict (throws <see cref="Retries.KubernetesApiException"/> with <c>IsConflict</c>).
    /// </summary>
    Task<JsonObject> ReplaceAsync(ResourceKind kind, JsonObject obj, CancellationToken cancellationToken);

    /// <summary>JSON merge patch (RFC 7386). Returns the patched object, <c>null</c> when it does not exist.</summary>
    Task<JsonObject?> MergePatchAsync(ResourceKind kind, string @namespace, string name, JsonObject patch, CancellationToken cancellationToken);

    /// <summary>JSON patch (RFC 6902; a <c>test</c> op makes it conditional). Returns the patched object, <c>null</c> when it does not exist.</summary>
    Task<JsonObject?> JsonPatchAsync(ResourceKind kind, string @namespace, string name, JsonArray operations, CancellationToken cancellationToken);

    /// <summary>
    /// DELETE (background propagation). Returns false when the object was already gone ("already gone" is
    /// success). With <paramref name="uid"/>, deletes only that incarnation (precondition).
    /// </summary>
    Task<bool> DeleteAsync(ResourceKind kind, string @namespace, string name, CancellationToken cancellationToken, string? uid = null);

    /// <summary>
    /// The cluster's control-plane Machines (labels <c>cluster.x-k8s.io/cluster-name=&lt;cluster&gt;</c> and
    /// <c>cluster.x-k8s.io/control-plane</c>), including ones being deleted, sorted by name. One LIST request.
    /// </summary>
    Task<IReadOnlyList<JsonObject>> ListControlPlaneMachinesAsync(ClusterKey cluster, CancellationToken cancellationToken);

    /// <summary>
    /// Claims the Cluster for <paramref name="upgradeId"/>: sets annotation <c>capi-upgrade.io/upgrade-id</c>
    /// with an update preconditioned on the read resourceVersion (a conflict re-reads and re-decides).
    /// Already held by the same id = success. Held by another id = refused, naming the holder.
    /// </summary>
    Task<ClusterClaimResult> ClaimClusterAsync(ClusterKey cluster, string upgradeId, CancellationToken cancellationToken);

    /// <summary>
    /// Releases the claim if <paramref name="upgradeId"/> holds it (idempotent: not held = success; held by
    /// another id = refused, naming the holder, nothing changed).
    /// </summary>
    Task<ClusterClaimResult> ReleaseClusterAsync(ClusterKey cluster, string upgradeId, CancellationToken cancellationToken);

    /// <summary>
    /// Re-owns the cluster's certificate secrets (<c>&lt;cluster&gt;-ca</c>, <c>-etcd</c>, <c>-sa</c>, <c>-proxy</c>)
    /// to the Cluster object: removes controller ownerReferences pointing at KubeadmConfigs and adds a
    /// (non-controller) ownerReference to the Cluster, so that deleting the init KubeadmConfig cannot
    /// garbage-collect them. Idempotent; missing secrets are reported, not created.
    /// </summary>
    Task<CertificateSecretsReowned> ReownCertificateSecretsAsync(ClusterKey cluster, CancellationToken cancellationToken);

    /// <summary>GET a Secret's decoded data (keys → bytes); <c>null</c> when it does not exist.</summary>
    Task<IReadOnlyDictionary<string, byte[]>?> GetSecretDataAsync(string @namespace, string name, CancellationToken cancellationToken);
}

/// <summary>Outcome of <see cref="IManagementCluster.CreateOrGetAsync"/>: the stored object and whether this call created it.</summary>
public sealed record CreateOrGetResult(JsonObject Object, bool Created);

/// <summary>
/// Outcome of a claim or release of a Cluster. <see cref="Succeeded"/> is false only when another upgrade
/// holds the Cluster: <see cref="Holder"/> names it and <see cref="Message"/> says what to do.
/// <see cref="ClusterMissing"/> is true when the Cluster object does not exist.
/// </summary>
public sealed record ClusterClaimResult(ClusterKey Cluster, bool Succeeded, string? Holder, bool ClusterMissing, string Message);

/// <summary>Outcome of <see cref="IManagementCluster.ReownCertificateSecretsAsync"/>.</summary>
/// <param name="Cluster">The cluster whose secrets were examined.</param>
/// <param name="Reowned">Secret names whose ownerReferences this call changed.</param>
/// <param name="AlreadyOwned">Secret names that already had the Cluster as owner and no KubeadmConfig controller.</param>
/// <param name="Missing">Secret names that do not exist.</param>
public sealed record CertificateSecretsReowned(ClusterKey Cluster, IReadOnlyList<string> Reowned, IReadOnlyList<string> AlreadyOwned, IReadOnlyList<string> Missing);
