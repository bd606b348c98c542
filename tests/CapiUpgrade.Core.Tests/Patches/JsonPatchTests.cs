using System.Text.Json.Nodes;
using CapiUpgrade.Core.Patches;

namespace CapiUpgrade.Core.Tests.Patches;

public class JsonPatchTests
{
    private static JsonNode? Apply(string doc, string patch) =>
        JsonPatch.FromNode(JsonNode.Parse(patch), "patch.json").Apply(JsonNode.Parse(doc), "DockerMachine default/x");

    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected} got {actual?.ToJsonString()}");

    // RFC 6902 appendix A examples
    [Theory]
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/baz","value":"qux"}]""", """{"baz":"qux","foo":"bar"}""")]
    [InlineData("""{"foo":["bar","baz"]}""", """[{"op":"add","path":"/foo/1","value":"qux"}]""", """{"foo":["bar","qux","baz"]}""")]
    [InlineData("""{"baz":"qux","foo":"bar"}""", """[{"op":"remove","path":"/baz"}]""", """{"foo":"bar"}""")]
    [InlineData("""{"foo":["bar","qux","baz"]}""", """[{"op":"remove","path":"/foo/1"}]""", """{"foo":["bar","baz"]}""")]
    [InlineData("""{"baz":"qux","foo":"bar"}""", """[{"op":"replace","path":"/baz","value":"boo"}]""", """{"baz":"boo","foo":"bar"}""")]
    [InlineData("""{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}""", """[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]""", """{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}""")]
    [InlineData("""{"foo":["all","grass","cows","eat"]}""", """[{"op":"move","from":"/foo/1","path":"/foo/3"}]""", """{"foo":["all","cows","eat","grass"]}""")]
    [InlineData("""{"baz":"qux","foo":["a",2,"c"]}""", """[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]""", """{"baz":"qux","foo":["a",2,"c"]}""")]
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/child","value":{"grandchild":{}}}]""", """{"foo":"bar","child":{"grandchild":{}}}""")]
    [InlineData("""{"foo":["bar"]}""", """[{"op":"add","path":"/foo/-","value":["abc","def"]}]""", """{"foo":["bar",["abc","def"]]}""")]
    [InlineData("""{"/":9,"~1":10}""", """[{"op":"test","path":"/~01","value":10}]""", """{"/":9,"~1":10}""")]
    [InlineData("""{"a":{"b":1}}""", """[{"op":"copy","from":"/a","path":"/c"},{"op":"replace","path":"/c/b","value":2}]""", """{"a":{"b":1},"c":{"b":2}}""")]
    [InlineData("""{"metadata":{"annotations":{"a.b/c":"x"}}}""", """[{"op":"remove","path":"/metadata/annotations/a.b~1c"}]""", """{"metadata":{"annotations":{}}}""")]
    [InlineData("""{"a":1}""", """[{"op":"replace","path":"","value":{"b":2}}]""", """{"b":2}""")]
    public void Applies_rfc6902_operations(string doc, string patch, string expected) => AssertJson(expected, Apply(doc, patch));

    [Fact]
    public void Does_not_modify_the_input()
    {
        var doc = JsonNode.Parse("""{"a":{"b":1}}""");
        JsonPatch.FromNode(JsonNode.Parse("""[{"op":"replace","path":"/a/b","value":2}]"""), "p").Apply(doc, "x");
        AssertJson("""{"a":{"b":1}}""", doc);
    }

    [Theory]
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/baz/bat","value":"qux"}]""", 0, "add", "/baz/bat", "parent")]
    [InlineData("""{"foo":"bar"}""", """[{"op":"remove","path":"/nope"}]""", 0, "remove", "/nope", "does not exist")]
    [InlineData("""{"foo":"bar"}""", """[{"op":"replace","path":"/nope","value":1}]""", 0, "replace", "/nope", "use 'add'")]
    [InlineData("""{"baz":"qux"}""", """[{"op":"test","path":"/baz","value":"bar"}]""", 0, "test", "/baz", "expected \"bar\" but found \"qux\"")]
    [InlineData("""{"foo":["a"]}""", """[{"op":"add","path":"/foo/5","value":1}]""", 0, "add", "/foo/5", "out of range")]
    [InlineData("""{"a":1}""", """[{"op":"test","path":"/a","value":1},{"op":"move","from":"/x","path":"/y"}]""", 1, "move", "/y", "'from' /x")]
    [InlineData("""{"a":1}""", """[{"op":"copy","from":"/x","path":"/y"}]""", 0, "copy", "/y", "'from' /x does not exist")]
    [InlineData("""{"a":{"b":1}}""", """[{"op":"move","from":"/a","path":"/a/b/c"}]""", 0, "move", "/a/b/c", "own child")]
    public void Failing_operations_name_index_op_path_and_object(string doc, string patch, int index, string op, string path, string problem)
    {
        var e = Assert.Throws<PatchException>(() => Apply(doc, patch));
        Assert.Equal(index, e.OperationIndex);
        Assert.Equal(op, e.Operation);
        Assert.Equal(path, e.Path);
        Assert.Equal("DockerMachine default/x", e.Target);
        Assert.Contains(problem, e.Message);
        Assert.Contains("patch.json", e.Message);
        Assert.Contains($"#{index} {op}", e.Message);
        Assert.Contains("Fix:", e.Message);
    }

    [Theory]
    [InlineData("""{"op":"add"}""", "must be an array")]
    [InlineData("""[{"op":"frobnicate","path":"/a"}]""", "'op' must be one of")]
    [InlineData("""[{"path":"/a","value":1}]""", "'op' must be one of")]
    [InlineData("""[{"op":"add","value":1}]""", "no 'path'")]
    [InlineData("""[{"op":"add","path":"/a"}]""", "no 'value'")]
    [InlineData("""[{"op":"move","path":"/a"}]""", "no 'from'")]
    [InlineData("""[{"op":"add","path":"a","value":1}]""", "must be empty or start with '/'")]
    [InlineData("""[42]""", "not an object")]
    public void Malformed_patches_are_refused_when_read(string patch, string problem)
    {
        var e = Assert.Throws<PatchException>(() => JsonPatch.FromNode(JsonNode.Parse(patch), "patch.json"));
        Assert.Contains(problem, e.Message);
        Assert.Contains("patch.json", e.Message);
    }
}
