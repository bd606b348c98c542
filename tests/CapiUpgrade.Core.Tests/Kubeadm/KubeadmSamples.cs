using System.Text.Json.Nodes;

namespace CapiUpgrade.Core.Tests.Kubeadm;

/// <summary>kubeadm-config contents as kubeadm writes them (v1beta3 up to 1.30, v1beta4 from 1.31, v1beta2 with ClusterStatus before 1.22).</summary>
internal static class KubeadmSamples
{
    public const string V1Beta3 = """
        apiServer:
          certSANs:
          - localhost
          - 127.0.0.1
          extraArgs:
            authorization-mode: Node,RBAC
            enable-admission-plugins: NodeRestriction,PodSecurity
          timeoutForControlPlane: 4m0s
        apiVersion: kubeadm.k8s.io/v1beta3
        certificatesDir: /etc/kubernetes/pki
        clusterName: cluster-1
        controlPlaneEndpoint: 172.18.0.3:6443
        controllerManager:
          extraArgs:
            enable-hostpath-provisioner: "true"
        dns: {}
        etcd:
          local:
            dataDir: /var/lib/etcd
            extraArgs:
              heartbeat-interval: "250"
              election-timeout: "2500"
        featureGates:
          EtcdLearnerMode: true
        imageRepository: registry.k8s.io
        kind: ClusterConfiguration
        # pinned by CAPI from Machine.spec.version
        kubernetesVersion: v1.29.4
        networking:
          dnsDomain: cluster.local
          podSubnet: 192.168.0.0/16
          serviceSubnet: 10.128.0.0/12
        scheduler: {}
        """;

    public const string V1Beta4 = """
        apiServer:
          certSANs:
          - localhost
          extraArgs:
          - name: authorization-mode
            value: Node,RBAC
          - name: profiling
            value: "false"
        apiVersion: kubeadm.k8s.io/v1beta4
        caCertificateValidityPeriod: 87600h0m0s
        certificateValidityPeriod: 8760h0m0s
        certificatesDir: /etc/kubernetes/pki
        clusterName: cluster-2
        controlPlaneEndpoint: 172.18.0.4:6443
        controllerManager:
          extraArgs:
          - name: bind-address
            value: 0.0.0.0
        dns: {}
        encryptionAlgorithm: RSA-2048
        etcd:
          local:
            dataDir: /var/lib/etcd
            extraArgs:
            - name: listen-metrics-urls
              value: http://0.0.0.0:2381
        imageRepository: registry.k8s.io
        kind: ClusterConfiguration
        kubernetesVersion: "v1.31.1"
        networking:
          dnsDomain: cluster.local
          podSubnet: 10.244.0.0/16
          serviceSubnet: 10.96.0.0/12
        proxy: {}
        scheduler: {}
        """;

    public const string V1Beta2ClusterConfiguration = """
        apiServer:
          extraArgs:
            authorization-mode: Node,RBAC
          timeoutForControlPlane: 4m0s
        apiVersion: kubeadm.k8s.io/v1beta2
        certificatesDir: /etc/kubernetes/pki
        clusterName: old-cluster
        controllerManager: {}
        dns:
          type: CoreDNS
        etcd:
          local:
            dataDir: /var/lib/etcd
        imageRepository: k8s.gcr.io
        kind: ClusterConfiguration
        kubernetesVersion: v1.20.15
        networking:
          dnsDomain: cluster.local
          serviceSubnet: 10.96.0.0/12
        scheduler: {}
        """;

    public const string V1Beta2ClusterStatus = """
        apiEndpoints:
          old-cluster-cp-abcde:
            advertiseAddress: 172.18.0.5
            bindPort: 6443
          old-cluster-cp-fghij:
            advertiseAddress: 172.18.0.6
            bindPort: 6443
          old-cluster-cp-klmno:
            advertiseAddress: 172.18.0.7
            bindPort: 6443
        apiVersion: kubeadm.k8s.io/v1beta2
        kind: ClusterStatus
        """;

    public static JsonObject ConfigMap(string clusterConfiguration, string? clusterStatus = null)
    {
        var data = new JsonObject { ["ClusterConfiguration"] = clusterConfiguration };
        if (clusterStatus is not null) data["ClusterStatus"] = clusterStatus;
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject
            {
                ["name"] = "kubeadm-config",
                ["namespace"] = "kube-system",
                ["resourceVersion"] = "4711",
                ["uid"] = "8f9c2d7e-1111-2222-3333-444455556666",
                ["creationTimestamp"] = "2024-05-01T10:00:00Z",
                ["labels"] = new JsonObject { ["app"] = "kubeadm" },
            },
            ["data"] = data,
        };
    }
}
