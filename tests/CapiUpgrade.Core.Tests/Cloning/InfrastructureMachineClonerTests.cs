using System.Text.Json.Nodes;
using CapiUpgrade.Core.Cloning;
using CapiUpgrade.Core.Errors;
using CapiUpgrade.Core.Patches;
using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Tests.Cloning;

public class InfrastructureMachineClonerTests
{
    private static readonly KubernetesVersion Target = KubernetesVersion.Parse("v1.30.2");

    [Fact]
    public void DockerMachine_clone_drops_server_state_and_re_points_the_image()
    {
        var source = CapiSamples.DockerMachine();
        var result = InfrastructureMachineCloner.Clone(source, "cluster-1-cp-0-u-1a2b3c4d", Target);
        Assert.False(result.IsRefused, string.Join("\n", result.Findings));
        var clone = result.Object;
        var metadata = clone["metadata"]!.AsObject();
        Assert.Equal("cluster-1-cp-0-u-1a2b3c4d", metadata["name"]!.GetValue<string>());
        Assert.Equal("default", metadata["namespace"]!.GetValue<string>());
        foreach (var dropped in new[] { "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "ownerReferences", "finalizers" })
            Assert.False(metadata.ContainsKey(dropped), dropped);
        Assert.Null(clone["status"]);
        Assert.Null(clone["spec"]!["providerID"]);
        Assert.Null(clone["spec"]!["bootstrapped"]);
        Assert.Equal("kindest/node:v1.30.2", clone["spec"]!["customImage"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(source["spec"]!["extraMounts"], clone["spec"]!["extraMounts"]));
        Assert.Equal("", metadata["labels"]!["cluster.x-k8s.io/control-plane"]!.GetValue<string>());
        Assert.Equal("cluster-1-cp-template", metadata["annotations"]!["cluster.x-k8s.io/cloned-from-name"]!.GetValue<string>());
        Assert.Equal("cluster-1-cp-0", metadata["annotations"]!["capi-upgrade.io/replacement-for"]!.GetValue<string>());
        Assert.Contains(result.Findings, f => f.Code == "InfraImageRepointed");
        // the source is untouched
        Assert.Equal("kindest/node:v1.29.4", source["spec"]!["customImage"]!.GetValue<string>());
        Assert.Equal("1234", source["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("kindest/node:1.29.4", "kindest/node:1.30.2")]
    [InlineData("registry.local:5000/kindest/node:v1.29.4", "registry.local:5000/kindest/node:v1.30.2")]
    [InlineData("kindest/node:v1.30.2", "kindest/node:v1.30.2")]
    public void Image_tags_that_are_versions_are_re_pointed(string image, string expected)
    {
        var result = InfrastructureMachineCloner.Clone(CapiSamples.DockerMachine(image), "new", Target);
        Assert.False(result.IsRefused);
        Assert.Equal(expected, result.Object["spec"]!["customImage"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("kindest/node@sha256:0123456789abcdef", "InfraImagePinned", "digest")]
    [InlineData("kindest/node:v1.29.4-custom", "InfraImagePinned", "not a plain version tag")]
    [InlineData("kindest/node:latest", "InfraImageUnknownVersion", "names no Kubernetes version")]
    [InlineData("my-node-v1.29.4", "InfraImagePinned", "no version tag")]
    public void Images_that_cannot_be_re_pointed_are_refused_naming_the_field_and_the_flag(string image, string code, string reason)
    {
        var result = InfrastructureMachineCloner.Clone(CapiSamples.DockerMachine(image), "cluster-1-cp-0-u-1", Target);
        Assert.True(result.IsRefused);
        var f = Assert.Single(result.Findings, x => x.IsError);
        Assert.Equal(code, f.Code);
        Assert.Equal("spec.customImage", f.Field);
        Assert.Contains("DockerMachine default/cluster-1-cp-0-u-1", f.Object);
        Assert.Contains("clone of DockerMachine default/cluster-1-cp-0", f.Object);
        Assert.Contains(reason, f.Problem);
        Assert.Contains("--infra-patch", f.Fix);
        Assert.Throws<ValidationException>(() => result.ObjectOrThrow());
    }

    [Fact]
    public void An_operator_patch_resolves_an_image_that_cannot_be_re_pointed()
    {
        var patch = OperatorPatch.Parse("""[{"op":"replace","path":"/spec/customImage","value":"kindest/node@sha256:fedcba"}]""", "infra.json");
        var result = InfrastructureMachineCloner.Clone(CapiSamples.DockerMachine("kindest/node@sha256:0123"), "new", Target, patch: patch);
        Assert.False(result.IsRefused, string.Join("\n", result.Findings));
        Assert.Equal("kindest/node@sha256:fedcba", result.Object["spec"]!["customImage"]!.GetValue<string>());
    }

    [Fact]
    public void An_operator_patch_wins_over_re_pointing()
    {
        var patch = OperatorPatch.Parse("spec:\n  customImage: mirror.local/node:v1.30.2\n", "infra.yaml");
        var result = InfrastructureMachineCloner.Clone(CapiSamples.DockerMachine(), "new", Target, patch: patch);
        Assert.False(result.IsRefused);
        Assert.Equal("mirror.local/node:v1.30.2", result.Object["spec"]!["customImage"]!.GetValue<string>());
    }

    [Fact]
    public void A_docker_machine_without_custom_image_needs_nothing()
    {
        var source = CapiSamples.DockerMachine();
        source["spec"]!.AsObject().Remove("customImage");
        var result = InfrastructureMachineCloner.Clone(source, "new", Target);
        Assert.False(result.IsRefused);
        Assert.Null(result.Object["spec"]!["customImage"]);
    }

    [Fact]
    public void Unknown_infra_kind_with_a_version_pinned_field_is_refused_naming_it()
    {
        var source = JsonNode.Parse("""
            {"apiVersion":"infrastructure.cluster.x-k8s.io/v1beta1","kind":"VSphereMachine",
             "metadata":{"name":"cp-0","namespace":"prod","resourceVersion":"5"},
             "spec":{"template":"ubuntu-2204-kube-v1.29.4","numCPUs":4,"network":{"devices":[{"networkName":"vm","dhcp4":true,"ip":"10.1.29.4"}]},"providerID":"vsphere://42"}}
            """)!.AsObject();
        var result = InfrastructureMachineCloner.Clone(source, "cp-0-u-1", Target);
        var f = Assert.Single(result.Findings, x => x.IsError);
        Assert.Equal("InfraVersionPinned", f.Code);
        Assert.Equal("spec.template", f.Field);
        Assert.Contains("v1.29.4", f.Problem);
        Assert.Contains("--infra-patch", f.Fix);
        Assert.Contains("/spec/template", f.Fix);
        Assert.Null(result.Object["spec"]!["providerID"]);
    }

    [Fact]
    public void A_minor_only_pin_in_an_unknown_kind_is_refused_too()
    {
        var source = JsonNode.Parse("""{"kind":"AWSMachine","metadata":{"name":"cp-0"},"spec":{"ami":{"id":"ami-1"},"imageLookupBaseOS":"capa-ami-v1.29"}}""")!.AsObject();
        var result = InfrastructureMachineCloner.Clone(source, "n", Target);
        Assert.Equal("spec.imageLookupBaseOS", Assert.Single(result.Findings, x => x.IsError).Field);
    }

    [Fact]
    public void A_field_the_operator_patched_is_trusted()
    {
        var source = JsonNode.Parse("""{"kind":"VSphereMachine","metadata":{"name":"cp-0"},"spec":{"template":"ubuntu-kube-v1.29.4"}}""")!.AsObject();
        var patch = OperatorPatch.Parse("""{"spec":{"template":"golden-image-2024-06"}}""", "infra.json");
        var result = InfrastructureMachineCloner.Clone(source, "n", Target, patch: patch);
        Assert.False(result.IsRefused);
        Assert.Equal("golden-image-2024-06", result.Object["spec"]!["template"]!.GetValue<string>());
    }

    [Fact]
    public void A_field_pinned_to_the_target_is_fine()
    {
        var source = JsonNode.Parse("""{"kind":"VSphereMachine","metadata":{"name":"cp-0"},"spec":{"template":"ubuntu-kube-v1.30.2","ip":"10.1.29.4","note":"version 2.1.3 of the tooling"}}""")!.AsObject();
        Assert.False(InfrastructureMachineCloner.Clone(source, "n", Target).IsRefused);
    }
}

public class VersionPinsTests
{
    private static readonly KubernetesVersion Target = KubernetesVersion.Parse("v1.30.2");
    private static readonly KubernetesVersion From = KubernetesVersion.Parse("v1.29.4");

    [Theory]
    [InlineData("kindest/node:v1.29.4", "v1.29.4")]
    [InlineData("registry.k8s.io/kube-apiserver:v1.29.4", "v1.29.4")]
    [InlineData("ubuntu-2204-kube-v1.29.4", "v1.29.4")]
    [InlineData("ubuntu-2204-kube-1.29.4", "1.29.4")]
    [InlineData("capa-ami-v1.29", "v1.29")]
    [InlineData("app-1.29.4", "1.29.4")] // the old version itself, even without a hint
    public void Pins_that_count(string value, string expected) =>
        Assert.Equal(expected, VersionPins.PinnedVersionIn(value, Target, From));

    [Theory]
    [InlineData("docker.io/library/nginx:1.25.3")]       // unrelated software, no v, not the old version
    [InlineData("quay.io/cilium/cilium:v1.15.1")]         // implausible Kubernetes minor for a v1.30 target
    [InlineData("docker.io/library/busybox:1.36")]
    [InlineData("registry.k8s.io/etcd:3.5.12-0")]
    [InlineData("10.1.29.4")]
    [InlineData("kindest/node:v1.30.2")]
    [InlineData("ubuntu-kube-v1.30")]
    [InlineData("")]
    public void Strings_that_do_not_count(string value) =>
        Assert.Null(VersionPins.PinnedVersionIn(value, Target, From));

    [Fact]
    public void Pre_loaded_unrelated_images_do_not_block_a_docker_machine_clone()
    {
        var source = CapiSamples.DockerMachine();
        source["spec"]!["preLoadImages"] = new JsonArray("docker.io/library/nginx:1.25.3", "quay.io/cilium/cilium:v1.15.1");
        var result = InfrastructureMachineCloner.Clone(source, "n", Target, from: From);
        Assert.False(result.IsRefused, string.Join("\n", result.Findings));
    }

    [Fact]
    public void A_pre_loaded_kubernetes_image_of_the_old_version_is_named()
    {
        var source = CapiSamples.DockerMachine();
        source["spec"]!["preLoadImages"] = new JsonArray("registry.k8s.io/kube-proxy:v1.29.4");
        var result = InfrastructureMachineCloner.Clone(source, "n", Target, from: From);
        Assert.Equal("spec.preLoadImages[0]", Assert.Single(result.Findings, f => f.IsError).Field);
    }
}
