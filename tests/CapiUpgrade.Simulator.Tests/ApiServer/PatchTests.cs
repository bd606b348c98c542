using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer.Patching;
using CapiUpgrade.Simulator.ApiServer.Resources;
using CapiUpgrade.Simulator.ApiServer.Storage;

namespace CapiUpgrade.Simulator.Tests.ApiServer;

public sealed class PatchTests
{
    private static readonly ResourceType Pod = ResourceRegistry.CreateDefault().Find("", "v1", "pods")!;
    private static readonly ResourceType Machine = ResourceRegistry.CreateDefault().Find("cluster.x-k8s.io", "v1beta1", "machines")!;

    private static JsonObject O(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public void Merge_patch_merges_objects_replaces_lists_and_deletes_nulls()
    {
        var result = JsonMergePatch.Apply(O("""{"a":{"b":1,"c":2},"l":[1,2],"x":1}"""), O("""{"a":{"b":null,"d":3},"l":[3],"x":null}"""));
        Assert.True(JsonNode.DeepEquals(O("""{"a":{"c":2,"d":3},"l":[3]}"""), result));
    }

    [Fact]
    public void Json_patch_supports_add_remove_replace_move_copy_and_test()
    {
        var patch = JsonNode.Parse("""
            [{"op":"add","path":"/l/-","value":3},{"op":"remove","path":"/a/b"},{"op":"replace","path":"/x","value":"y"},
             {"op":"move","from":"/a/c","path":"/c"},{"op":"copy","from":"/x","path":"/z"},{"op":"test","path":"/z","value":"y"},
             {"op":"add","path":"/a~1b","value":true}]
            """);
        var result = JsonPatch.Apply(O("""{"a":{"b":1,"c":2},"l":[1,2],"x":1}"""), patch);
        Assert.True(JsonNode.DeepEquals(O("""{"a":{},"l":[1,2,3],"x":"y","c":2,"z":"y","a/b":true}"""), result), result.ToJsonString());

        var failedTest = Assert.Throws<ApiException>(() => JsonPatch.Apply(O("""{"x":1}"""), JsonNode.Parse("""[{"op":"test","path":"/x","value":2}]""")));
        Assert.Equal(422, failedTest.Code);
        var missing = Assert.Throws<ApiException>(() => JsonPatch.Apply(O("""{"x":1}"""), JsonNode.Parse("""[{"op":"remove","path":"/nope"}]""")));
        Assert.Equal(422, missing.Code);
    }

    [Fact]
    public void Strategic_merge_merges_containers_by_name_and_conditions_by_type()
    {
        var pod = O("""{"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b","image":"b:1"}]},"status":{"conditions":[{"type":"Ready","status":"False"},{"type":"Scheduled","status":"True"}]}}""");
        var patch = O("""{"spec":{"containers":[{"name":"b","image":"b:2"},{"name":"c","image":"c:1"}]},"status":{"conditions":[{"type":"Ready","status":"True"}]}}""");
        var result = StrategicMergePatch.Apply(pod, patch, Pod)!;
        Assert.Equal("a:1,b:2,c:1", string.Join(",", result["spec"]!["containers"]!.AsArray().Select(c => c!["image"]!.GetValue<string>())));
        Assert.Equal("True,True", string.Join(",", result["status"]!["conditions"]!.AsArray().Select(c => c!["status"]!.GetValue<string>())));
    }

    [Fact]
    public void Strategic_merge_directives_delete_elements_and_replace_maps()
    {
        var pod = O("""{"metadata":{"finalizers":["a","b"],"labels":{"x":"1","y":"2"}},"spec":{"containers":[{"name":"a"},{"name":"b"}]}}""");
        var patch = O("""{"$deleteFromPrimitiveList/finalizers":["a"],"metadata":{"$deleteFromPrimitiveList/finalizers":["a"],"labels":{"$patch":"replace","z":"3"}},"spec":{"$setElementOrder/containers":[{"name":"b"}],"containers":[{"name":"a","$patch":"delete"}]}}""");
        var result = StrategicMergePatch.Apply(pod, patch, Pod)!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""["b"]"""), result["metadata"]!["finalizers"]));
        Assert.True(JsonNode.DeepEquals(O("""{"z":"3"}"""), result["metadata"]!["labels"]));
        Assert.Equal("b", result["spec"]!["containers"]![0]!["name"]!.GetValue<string>());
        Assert.Single(result["spec"]!["containers"]!.AsArray());
    }

    [Fact]
    public void Lists_without_a_merge_key_are_replaced()
    {
        var result = StrategicMergePatch.Apply(O("""{"spec":{"args":["a","b"]}}"""), O("""{"spec":{"args":["c"]}}"""), Machine)!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""["c"]"""), result["spec"]!["args"]));
    }
}
