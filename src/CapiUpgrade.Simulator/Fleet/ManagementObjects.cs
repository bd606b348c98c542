using System.Text.Json.Nodes;

namespace CapiUpgrade.Simulator.Fleet;

/// <summary>
/// The management-cluster objects of one workload cluster as Cluster API v1beta1 (v1.10) with the kubeadm
/// bootstrap provider and CAPD leave them for the seed's case: control-plane Machines not owned by a
/// KubeadmControlPlane.
/// </summary>
public static class ManagementObjects
{
    public const string CapiVersion = "cluster.x-k8s.io/v1beta1";
    public const string BootstrapVersion = "bootstrap.cluster.x-k8s.io/v1beta1";
    public const string InfrastructureVersion = "infrastructure.cluster.x-k8s.io/v1beta1";
    public const string ClusterNameLabel = "cluster.x-k8s.io/cluster-name";
    public const string ControlPlaneLabel = "cluster.x-k8s.io/control-plane";
    public const string MachineFinalizer = "machine.cluster.x-k8s.io";
    public const string SecretType = "cluster.x-k8s.io/secret";

    public static JsonObject Cluster(string ns, string name, int apiPort) => new()
    {
        ["apiVersion"] = CapiVersion,
        ["kind"] = "Cluster",
        ["metadata"] = Json.Metadata(name, ns, Json.Labels((ClusterNameLabel, name))),
        ["spec"] = new JsonObject
        {
            ["clusterNetwork"] = new JsonObject
            {
                ["pods"] = new JsonObject { ["cidrBlocks"] = new JsonArray("192.168.0.0/16") },
                ["services"] = new JsonObject { ["cidrBlocks"] = new JsonArray("10.128.0.0/12") },
                ["serviceDomain"] = "cluster.local",
            },
            ["controlPlaneEndpoint"] = new JsonObject { ["host"] = "127.0.0.1", ["port"] = apiPort },
            ["infrastructureRef"] = Json.Reference(InfrastructureVersion, "DockerCluster", name, ns),
        },
        ["status"] = new JsonObject
        {
            ["phase"] = "Provisioned",
            ["infrastructureReady"] = true,
            ["controlPlaneReady"] = true,
            ["observedGeneration"] = 1,
            ["conditions"] = new JsonArray(
                Json.Condition("Ready", true),
                Json.Condition("ControlPlaneInitialized", true),
                Json.Condition("ControlPlaneReady", true),
                Json.Condition("InfrastructureReady", true)),
        },
    };

    public static JsonObject DockerCluster(string ns, string name, int apiPort, JsonObject cluster) => new()
    {
        ["apiVersion"] = InfrastructureVersion,
        ["kind"] = "DockerCluster",
        ["metadata"] = WithOwner(Json.Metadata(name, ns, Json.Labels((ClusterNameLabel, name))), cluster, controller: false),
        ["spec"] = new JsonObject { ["controlPlaneEndpoint"] = new JsonObject { ["host"] = "127.0.0.1", ["port"] = apiPort } },
        ["status"] = new JsonObject
        {
            ["ready"] = true,
            ["conditions"] = new JsonArray(Json.Condition("Ready", true), Json.Condition("LoadBalancerAvailable", true)),
        },
    };

    /// <summary>A control-plane Machine (Running when <paramref name="nodeUid"/> is known, else new, without status).</summary>
    public static JsonObject Machine(string ns, string cluster, string name, string version, JsonObject? clusterObject, string? nodeUid)
    {
        var metadata = Json.Metadata(name, ns, Json.Labels((ClusterNameLabel, cluster), (ControlPlaneLabel, "")));
        metadata["finalizers"] = new JsonArray(MachineFinalizer);
        if (clusterObject is not null) WithOwner(metadata, clusterObject, controller: false);
        var machine = new JsonObject
        {
            ["apiVersion"] = CapiVersion,
            ["kind"] = "Machine",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["clusterName"] = cluster,
                ["version"] = version,
                ["bootstrap"] = new JsonObject
                {
                    ["configRef"] = Json.Reference(BootstrapVersion, "KubeadmConfig", name, ns),
                    ["dataSecretName"] = name,
                },
                ["infrastructureRef"] = Json.Reference(InfrastructureVersion, "DockerMachine", name, ns),
                ["providerID"] = ProviderId(name),
                ["nodeDeletionTimeout"] = "10s",
            },
        };
        if (nodeUid is not null) machine["status"] = RunningStatus(name, nodeUid);
        return machine;
    }

    public static JsonObject RunningStatus(string nodeName, string nodeUid) => new()
    {
        ["phase"] = "Running",
        ["bootstrapReady"] = true,
        ["infrastructureReady"] = true,
        ["observedGeneration"] = 1,
        ["lastUpdated"] = Json.Now(),
        ["nodeRef"] = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["name"] = nodeName, ["uid"] = nodeUid },
        ["addresses"] = new JsonArray(
            new JsonObject { ["type"] = "InternalIP", ["address"] = "127.0.0.1" },
            new JsonObject { ["type"] = "Hostname", ["address"] = nodeName }),
        ["conditions"] = new JsonArray(
            Json.Condition("Ready", true),
            Json.Condition("BootstrapReady", true),
            Json.Condition("InfrastructureReady", true),
            Json.Condition("NodeHealthy", true)),
    };

    public static string ProviderId(string machineName) => $"docker:////{machineName}";

    /// <summary>The init KubeadmConfig (initConfiguration + clusterConfiguration) or a control-plane join config.</summary>
    public static JsonObject KubeadmConfig(string ns, string cluster, string name, bool init, JsonObject machine, int apiPort)
    {
        var nodeRegistration = new JsonObject
        {
            ["kubeletExtraArgs"] = new JsonObject { ["eviction-hard"] = "nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%" },
            ["criSocket"] = "unix:///var/run/containerd/containerd.sock",
        };
        var spec = new JsonObject { ["format"] = "cloud-config" };
        if (init)
        {
            spec["clusterConfiguration"] = new JsonObject
            {
                ["apiServer"] = new JsonObject { ["certSANs"] = new JsonArray("localhost", "127.0.0.1") },
                ["controllerManager"] = new JsonObject { ["extraArgs"] = new JsonObject { ["enable-hostpath-provisioner"] = "true" } },
                ["etcd"] = new JsonObject { ["local"] = new JsonObject { ["dataDir"] = "/var/lib/etcd" } },
            };
            spec["initConfiguration"] = new JsonObject { ["nodeRegistration"] = nodeRegistration, ["localAPIEndpoint"] = new JsonObject() };
        }
        else
        {
            spec["joinConfiguration"] = new JsonObject
            {
                ["nodeRegistration"] = nodeRegistration,
                ["controlPlane"] = new JsonObject { ["localAPIEndpoint"] = new JsonObject() },
                ["discovery"] = new JsonObject
                {
                    ["bootstrapToken"] = new JsonObject
                    {
                        ["apiServerEndpoint"] = $"127.0.0.1:{apiPort}",
                        ["token"] = "abcdef.0123456789abcdef",
                        ["unsafeSkipCAVerification"] = true,
                    },
                },
            };
        }
        return new JsonObject
        {
            ["apiVersion"] = BootstrapVersion,
            ["kind"] = "KubeadmConfig",
            ["metadata"] = WithOwner(Json.Metadata(name, ns, Json.Labels((ClusterNameLabel, cluster), (ControlPlaneLabel, ""))), machine, controller: true),
            ["spec"] = spec,
            ["status"] = new JsonObject
            {
                ["ready"] = true,
                ["dataSecretName"] = name,
                ["observedGeneration"] = 1,
                ["conditions"] = new JsonArray(Json.Condition("Ready", true), Json.Condition("DataSecretAvailable", true), Json.Condition("CertificatesAvailable", true)),
            },
        };
    }

    public static JsonObject DockerMachine(string ns, string cluster, string name, string version, JsonObject machine) => new()
    {
        ["apiVersion"] = InfrastructureVersion,
        ["kind"] = "DockerMachine",
        ["metadata"] = WithOwner(Json.Metadata(name, ns, Json.Labels((ClusterNameLabel, cluster), (ControlPlaneLabel, ""))), machine, controller: true),
        ["spec"] = new JsonObject
        {
            ["customImage"] = KubernetesVersions.NodeImage(version),
            ["providerID"] = ProviderId(name),
            ["bootstrapped"] = true,
        },
        ["status"] = new JsonObject
        {
            ["ready"] = true,
            ["addresses"] = new JsonArray(new JsonObject { ["type"] = "InternalIP", ["address"] = "127.0.0.1" }),
            ["conditions"] = new JsonArray(Json.Condition("Ready", true), Json.Condition("ContainerProvisioned", true), Json.Condition("BootstrapExecSucceeded", true)),
        },
    };

    /// <summary>A `cluster.x-k8s.io/secret` of the cluster, with an owner.</summary>
    public static JsonObject Secret(string ns, string cluster, string name, IReadOnlyDictionary<string, string> data, JsonObject owner, bool controller)
    {
        var secret = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = WithOwner(Json.Metadata(name, ns, Json.Labels((ClusterNameLabel, cluster))), owner, controller),
            ["type"] = SecretType,
            ["data"] = Json.SecretData(data),
        };
        return secret;
    }

    /// <summary>The bootstrap data secret a KubeadmConfig writes (`value`: cloud-init, `format`).</summary>
    public static JsonObject BootstrapDataSecret(string ns, string cluster, string name, JsonObject kubeadmConfig) =>
        Secret(ns, cluster, name, new Dictionary<string, string>
        {
            ["value"] = "## template: jinja\n#cloud-config\nruncmd:\n  - kubeadm join --config /run/kubeadm/kubeadm.yaml\n",
            ["format"] = "cloud-config",
        }, kubeadmConfig, controller: true);

    public static JsonObject WithOwner(JsonObject metadata, JsonObject owner, bool controller)
    {
        var refs = metadata["ownerReferences"] as JsonArray ?? [];
        refs.Add(Json.OwnerReference(owner, controller));
        metadata["ownerReferences"] = refs;
        return metadata;
    }
}
