using System.Text.Json.Nodes;
using CapiUpgrade.Core.Patches;

namespace CapiUpgrade.Core.Tests.Patches;

public class OperatorPatchTests
{
    private static JsonObject Target() => JsonNode.Parse("""{"kind":"DockerMachine","metadata":{"name":"cp-0","namespace":"default"},"spec":{"customImage":"kindest/node:v1.29.4","extraMounts":[]}}""")!.AsObject();

    [Fact]
    public void A_json_array_is_a_json_patch()
    {
        var patch = OperatorPatch.Parse("""[{"op":"replace","path":"/spec/customImage","value":"kindest/node:v1.30.2"}]""", "infra.json");
        Assert.False(patch.IsMergePatch);
        Assert.Equal("kindest/node:v1.30.2", patch.Apply(Target())["spec"]!["customImage"]!.GetValue<string>());
        Assert.Equal(["/spec/customImage"], patch.TouchedPaths().Select(p => p.ToString()));
    }

    [Fact]
    public void A_yaml_list_is_a_json_patch()
    {
        var patch = OperatorPatch.Parse("- op: add\n  path: /spec/extraMounts/-\n  value:\n    containerPath: /x\n    hostPath: /y\n", "infra.yaml");
        var result = patch.Apply(Target());
        Assert.Equal("/x", result["spec"]!["extraMounts"]![0]!["containerPath"]!.GetValue<string>());
    }

    [Fact]
    public void An_object_is_a_merge_patch()
    {
        var patch = OperatorPatch.Parse("spec:\n  customImage: null\n  bootstrapTimeout: 5m\n", "infra.yaml");
        Assert.True(patch.IsMergePatch);
        var result = patch.Apply(Target());
        Assert.Null(result["spec"]!["customImage"]);
        Assert.Equal("5m", result["spec"]!["bootstrapTimeout"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("42", "empty or not")]
    [InlineData("[ {op: add", "neither valid JSON nor YAML")]
    public void Unusable_files_are_refused_naming_the_file(string text, string problem)
    {
        var e = Assert.Throws<PatchException>(() => OperatorPatch.Parse(text, "/tmp/infra.json"));
        Assert.Contains(problem, e.Message);
        Assert.StartsWith("/tmp/infra.json", e.Message);
    }

    [Fact]
    public void A_failing_operation_names_the_object_it_was_applied_to()
    {
        var patch = OperatorPatch.Parse("""[{"op":"test","path":"/spec/customImage","value":"something-else"}]""", "infra.json");
        var e = Assert.Throws<PatchException>(() => patch.Apply(Target()));
        Assert.Equal("DockerMachine default/cp-0", e.Target);
        Assert.Contains("DockerMachine default/cp-0", e.Message);
    }
}
