using System.Text.Json.Nodes;

namespace CapiUpgrade.Core.Tests.Cloning;

/// <summary>Objects as a CAPI v1.10 management cluster serves them (the seed's case: no KubeadmControlPlane).</summary>
internal static class CapiSamples
{
    public static JsonObject DockerMachine(string image = "kindest/node:v1.29.4") => JsonNode.Parse($$"""
        {
          "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1",
          "kind": "DockerMachine",
          "metadata": {
            "name": "cluster-1-cp-0",
            "namespace": "default",
            "uid": "0c6e4f2e-1c7a-4e0b-9a43-1b5e0f1f9a01",
            "resourceVersion": "1234",
            "generation": 2,
            "creationTimestamp": "2024-05-01T10:00:00Z",
            "labels": { "cluster.x-k8s.io/cluster-name": "cluster-1", "cluster.x-k8s.io/control-plane": "" },
            "annotations": { "cluster.x-k8s.io/cloned-from-name": "cluster-1-cp-template" },
            "finalizers": [ "dockermachine.infrastructure.cluster.x-k8s.io" ],
            "ownerReferences": [ { "apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Machine", "name": "cluster-1-cp-0", "uid": "m-1", "controller": true, "blockOwnerDeletion": true } ],
            "managedFields": [ { "manager": "manager", "operation": "Update" } ]
          },
          "spec": {
            "customImage": "{{image}}",
            "providerID": "docker:////cluster-1-cp-0",
            "bootstrapped": true,
            "extraMounts": [ { "containerPath": "/var/run/docker.sock", "hostPath": "/var/run/docker.sock" } ],
            "preLoadImages": [ "docker.io/library/busybox:1.36" ]
          },
          "status": { "ready": true, "addresses": [ { "type": "InternalIP", "address": "172.18.0.5" } ] }
        }
        """)!.AsObject();

    public static JsonObject InitKubeadmConfig() => JsonNode.Parse("""
        {
          "apiVersion": "bootstrap.cluster.x-k8s.io/v1beta1",
          "kind": "KubeadmConfig",
          "metadata": {
            "name": "cluster-1-cp-0",
            "namespace": "default",
            "uid": "k-1",
            "resourceVersion": "999",
            "labels": { "cluster.x-k8s.io/cluster-name": "cluster-1", "cluster.x-k8s.io/control-plane": "" },
            "ownerReferences": [ { "apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Machine", "name": "cluster-1-cp-0", "uid": "m-1", "controller": true } ]
          },
          "spec": {
            "clusterConfiguration": {
              "apiServer": { "certSANs": [ "localhost", "127.0.0.1" ], "extraArgs": { "enable-admission-plugins": "NodeRestriction" } },
              "controllerManager": { "extraArgs": { "enable-hostpath-provisioner": "true" } },
              "etcd": { "local": { "extraArgs": { "heartbeat-interval": "250" } } },
              "kubernetesVersion": "v1.29.4",
              "networking": { "podSubnet": "192.168.0.0/16" }
            },
            "initConfiguration": {
              "localAPIEndpoint": { "advertiseAddress": "172.18.0.5", "bindPort": 6443 },
              "nodeRegistration": {
                "criSocket": "unix:///var/run/containerd/containerd.sock",
                "kubeletExtraArgs": { "eviction-hard": "nodefs.available<0%", "fail-swap-on": "false" },
                "name": "{{ ds.meta_data.local_hostname }}",
                "taints": []
              },
              "patches": { "directory": "/etc/kubernetes/patches" }
            },
            "files": [ { "path": "/etc/kubernetes/patches/etcd0+json.json", "content": "[]" } ],
            "preKubeadmCommands": [ "echo pre" ],
            "format": "cloud-config"
          },
          "status": { "ready": true, "dataSecretName": "cluster-1-cp-0", "observedGeneration": 1 }
        }
        """)!.AsObject();

    public static JsonObject JoinKubeadmConfig() => JsonNode.Parse("""
        {
          "apiVersion": "bootstrap.cluster.x-k8s.io/v1beta1",
          "kind": "KubeadmConfig",
          "metadata": { "name": "cluster-1-cp-1", "namespace": "default", "uid": "k-2", "resourceVersion": "1000" },
          "spec": {
            "clusterConfiguration": { "kubernetesVersion": "v1.29.4" },
            "joinConfiguration": {
              "controlPlane": { "localAPIEndpoint": { "bindPort": 6443 } },
              "discovery": { "bootstrapToken": { "apiServerEndpoint": "172.18.0.3:6443", "caCertHashes": [ "sha256:abc" ], "token": "abcdef.0123456789abcdef" } },
              "nodeRegistration": { "name": "cluster-1-cp-1", "kubeletExtraArgs": { "fail-swap-on": "false" } }
            }
          },
          "status": { "ready": true, "dataSecretName": "cluster-1-cp-1" }
        }
        """)!.AsObject();

    public static JsonObject Machine() => JsonNode.Parse("""
        {
          "apiVersion": "cluster.x-k8s.io/v1beta1",
          "kind": "Machine",
          "metadata": {
            "name": "cluster-1-cp-0",
            "namespace": "default",
            "uid": "m-1",
            "resourceVersion": "2222",
            "generation": 3,
            "creationTimestamp": "2024-05-01T10:00:00Z",
            "finalizers": [ "machine.cluster.x-k8s.io" ],
            "labels": { "cluster.x-k8s.io/cluster-name": "cluster-1", "cluster.x-k8s.io/control-plane": "", "team": "platform" },
            "annotations": {
              "capi-upgrade.io/upgrade-id": "u-old",
              "pre-terminate.delete.hook.machine.cluster.x-k8s.io/capi-upgrade": "",
              "pre-drain.delete.hook.machine.cluster.x-k8s.io/backup": "backup-operator",
              "example.com/owner": "ops"
            },
            "ownerReferences": [ { "apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Cluster", "name": "cluster-1", "uid": "c-1" } ]
          },
          "spec": {
            "clusterName": "cluster-1",
            "version": "v1.29.4",
            "providerID": "docker:////cluster-1-cp-0",
            "failureDomain": "fd1",
            "nodeDeletionTimeout": "10s",
            "bootstrap": {
              "configRef": { "apiVersion": "bootstrap.cluster.x-k8s.io/v1beta1", "kind": "KubeadmConfig", "name": "cluster-1-cp-0", "namespace": "default", "uid": "k-1", "resourceVersion": "999" },
              "dataSecretName": "cluster-1-cp-0"
            },
            "infrastructureRef": { "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1", "kind": "DockerMachine", "name": "cluster-1-cp-0", "namespace": "default", "uid": "d-1" }
          },
          "status": { "phase": "Running", "nodeRef": { "kind": "Node", "name": "cluster-1-cp-0" }, "bootstrapReady": true }
        }
        """)!.AsObject();
}
