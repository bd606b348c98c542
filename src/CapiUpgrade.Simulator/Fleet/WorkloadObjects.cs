using System.Text.Json.Nodes;

namespace CapiUpgrade.Simulator.Fleet;

/// <summary>What kubeadm leaves in a workload cluster: kubeadm-config, kubelet config + RBAC, Nodes, static pods, kube-proxy, CoreDNS.</summary>
public static class WorkloadObjects
{
    public const string EtcdAdvertiseAnnotation = "kubeadm.kubernetes.io/etcd.advertise-client-urls";
    public const string ApiServerAdvertiseAnnotation = "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint";
    public static readonly string[] StaticPodComponents = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"];

    public static JsonObject KubeadmConfigMap(string cluster, string version, int apiPort) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = Json.Metadata("kubeadm-config", "kube-system"),
        ["data"] = new JsonObject
        {
            ["ClusterConfiguration"] =
                $$"""
                apiServer:
                  certSANs:
                  - localhost
                  - 127.0.0.1
                apiVersion: {{KubernetesVersions.KubeadmApiVersion(version)}}
                certificatesDir: /etc/kubernetes/pki
                clusterName: {{cluster}}
                controlPlaneEndpoint: 127.0.0.1:{{apiPort}}
                controllerManager:
                  extraArgs:
                    enable-hostpath-provisioner: "true"
                dns: {}
                etcd:
                  local:
                    dataDir: /var/lib/etcd
                imageRepository: registry.k8s.io
                kind: ClusterConfiguration
                kubernetesVersion: {{version}}
                networking:
                  dnsDomain: cluster.local
                  podSubnet: 192.168.0.0/16
                  serviceSubnet: 10.128.0.0/12
                scheduler: {}

                """,
        },
    };

    public static JsonObject KubeletConfigMap(string version) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = Json.Metadata(KubernetesVersions.KubeletConfigMapName(version), "kube-system"),
        ["data"] = new JsonObject
        {
            ["kubelet"] =
                """
                apiVersion: kubelet.config.k8s.io/v1beta1
                authentication:
                  anonymous:
                    enabled: false
                  webhook:
                    enabled: true
                  x509:
                    clientCAFile: /etc/kubernetes/pki/ca.crt
                cgroupDriver: systemd
                clusterDNS:
                - 10.128.0.10
                clusterDomain: cluster.local
                kind: KubeletConfiguration
                rotateCertificates: true
                staticPodPath: /etc/kubernetes/manifests

                """,
        },
    };

    public static JsonObject KubeletConfigRole(string version)
    {
        var name = "kubeadm:" + KubernetesVersions.KubeletConfigMapName(version);
        return new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "Role",
            ["metadata"] = Json.Metadata(name, "kube-system"),
            ["rules"] = new JsonArray(new JsonObject
            {
                ["apiGroups"] = new JsonArray(""),
                ["resources"] = new JsonArray("configmaps"),
                ["resourceNames"] = new JsonArray(KubernetesVersions.KubeletConfigMapName(version)),
                ["verbs"] = new JsonArray("get"),
            }),
        };
    }

    public static JsonObject KubeletConfigRoleBinding(string version)
    {
        var name = "kubeadm:" + KubernetesVersions.KubeletConfigMapName(version);
        return new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "RoleBinding",
            ["metadata"] = Json.Metadata(name, "kube-system"),
            ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "Role", ["name"] = name },
            ["subjects"] = new JsonArray(
                new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "Group", ["name"] = "system:nodes" },
                new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "Group", ["name"] = "system:bootstrappers:kubeadm:default-node-token" }),
        };
    }

    public static JsonObject Node(string name, string kubeletVersion, bool ready, bool controlPlane = true)
    {
        var labels = Json.Labels(
            ("beta.kubernetes.io/arch", "amd64"), ("beta.kubernetes.io/os", "linux"),
            ("kubernetes.io/arch", "amd64"), ("kubernetes.io/hostname", name), ("kubernetes.io/os", "linux"));
        if (controlPlane)
        {
            labels["node-role.kubernetes.io/control-plane"] = "";
            labels["node.kubernetes.io/exclude-from-external-load-balancers"] = "";
        }
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Node",
            ["metadata"] = Json.Metadata(name, labels: labels, annotations: Json.Labels(
                ("kubeadm.alpha.kubernetes.io/cri-socket", "unix:///var/run/containerd/containerd.sock"),
                ("node.alpha.kubernetes.io/ttl", "0"))),
            ["spec"] = new JsonObject
            {
                ["providerID"] = ManagementObjects.ProviderId(name),
                ["podCIDR"] = "192.168.0.0/24",
                ["taints"] = controlPlane
                    ? new JsonArray(new JsonObject { ["key"] = "node-role.kubernetes.io/control-plane", ["effect"] = "NoSchedule" })
                    : new JsonArray(),
            },
            ["status"] = NodeStatus(name, kubeletVersion, ready),
        };
    }

    public static JsonObject NodeStatus(string name, string kubeletVersion, bool ready) => new()
    {
        ["conditions"] = new JsonArray(
            Json.CoreCondition("MemoryPressure", false, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            Json.CoreCondition("DiskPressure", false, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            Json.CoreCondition("PIDPressure", false, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            ready
                ? Json.CoreCondition("Ready", true, "KubeletReady", "kubelet is posting ready status")
                : Json.CoreCondition("Ready", false, "KubeletNotReady", "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady")),
        ["addresses"] = new JsonArray(
            new JsonObject { ["type"] = "InternalIP", ["address"] = "127.0.0.1" },
            new JsonObject { ["type"] = "Hostname", ["address"] = name }),
        ["nodeInfo"] = new JsonObject
        {
            ["architecture"] = "amd64",
            ["bootID"] = Guid.NewGuid().ToString(),
            ["containerRuntimeVersion"] = "containerd://1.7.13",
            ["kernelVersion"] = "6.1.0-simulated",
            ["kubeProxyVersion"] = kubeletVersion,
            ["kubeletVersion"] = kubeletVersion,
            ["machineID"] = Guid.NewGuid().ToString("N"),
            ["operatingSystem"] = "linux",
            ["osImage"] = "Debian GNU/Linux 12 (bookworm)",
            ["systemUUID"] = Guid.NewGuid().ToString(),
        },
    };

    /// <summary>A static (mirror) pod of a control-plane component on <paramref name="node"/>.</summary>
    public static JsonObject StaticPod(string component, string node, string version, string? etcdClientUrl, int apiPort, bool ready, JsonObject? nodeObject)
    {
        var name = $"{component}-{node}";
        var annotations = Json.Labels(("kubernetes.io/config.source", "file"), ("kubernetes.io/config.mirror", Guid.NewGuid().ToString("N")));
        if (component == "etcd" && etcdClientUrl is not null) annotations[EtcdAdvertiseAnnotation] = etcdClientUrl;
        if (component == "kube-apiserver") annotations[ApiServerAdvertiseAnnotation] = $"127.0.0.1:{apiPort}";
        var metadata = Json.Metadata(name, "kube-system", Json.Labels(("component", component), ("tier", "control-plane")), annotations);
        if (nodeObject is not null) ManagementObjects.WithOwner(metadata, nodeObject, controller: true);
        var image = component == "etcd" ? KubernetesVersions.EtcdImage(version) : $"registry.k8s.io/{component}:{version}";
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["nodeName"] = node,
                ["hostNetwork"] = true,
                ["priorityClassName"] = "system-node-critical",
                ["containers"] = new JsonArray(new JsonObject { ["name"] = component, ["image"] = image }),
            },
            ["status"] = PodStatus(ready),
        };
    }

    public static JsonObject PodStatus(bool ready) => new()
    {
        ["phase"] = "Running",
        ["hostIP"] = "127.0.0.1",
        ["podIP"] = "127.0.0.1",
        ["conditions"] = new JsonArray(
            Json.CoreCondition("Initialized", true),
            ready ? Json.CoreCondition("Ready", true) : Json.CoreCondition("Ready", false, "ContainersNotReady", "containers with unready status"),
            ready ? Json.CoreCondition("ContainersReady", true) : Json.CoreCondition("ContainersReady", false, "ContainersNotReady", "containers with unready status"),
            Json.CoreCondition("PodScheduled", true)),
    };

    public static JsonObject KubeProxy(string version, int nodes) => new()
    {
        ["apiVersion"] = "apps/v1",
        ["kind"] = "DaemonSet",
        ["metadata"] = Json.Metadata("kube-proxy", "kube-system", Json.Labels(("k8s-app", "kube-proxy"))),
        ["spec"] = new JsonObject
        {
            ["selector"] = new JsonObject { ["matchLabels"] = Json.Labels(("k8s-app", "kube-proxy")) },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = Json.Labels(("k8s-app", "kube-proxy")) },
                ["spec"] = new JsonObject
                {
                    ["containers"] = new JsonArray(new JsonObject { ["name"] = "kube-proxy", ["image"] = $"registry.k8s.io/kube-proxy:{version}" }),
                },
            },
        },
        ["status"] = new JsonObject
        {
            ["currentNumberScheduled"] = nodes, ["desiredNumberScheduled"] = nodes, ["numberAvailable"] = nodes,
            ["numberReady"] = nodes, ["updatedNumberScheduled"] = nodes, ["numberMisscheduled"] = 0, ["observedGeneration"] = 1,
        },
    };

    public static JsonObject CoreDns(string version) => new()
    {
        ["apiVersion"] = "apps/v1",
        ["kind"] = "Deployment",
        ["metadata"] = Json.Metadata("coredns", "kube-system", Json.Labels(("k8s-app", "kube-dns"))),
        ["spec"] = new JsonObject
        {
            ["replicas"] = 2,
            ["selector"] = new JsonObject { ["matchLabels"] = Json.Labels(("k8s-app", "kube-dns")) },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = Json.Labels(("k8s-app", "kube-dns")) },
                ["spec"] = new JsonObject
                {
                    ["containers"] = new JsonArray(new JsonObject { ["name"] = "coredns", ["image"] = KubernetesVersions.CoreDnsImage(version) }),
                },
            },
        },
        ["status"] = new JsonObject { ["replicas"] = 2, ["readyReplicas"] = 2, ["availableReplicas"] = 2, ["updatedReplicas"] = 2, ["observedGeneration"] = 1 },
    };
}
