using System.Text.Json.Nodes;
using CapiUpgrade.Core.Patches;

namespace CapiUpgrade.Core.Tests.Patches;

public class MergePatchTests
{
    // RFC 7386 appendix A
    [Theory]
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""")]
    [InlineData("""{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""")]
    [InlineData("""{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""["a","b"]""", """["c","d"]""", """["c","d"]""")]
    [InlineData("""{"a":"b"}""", """["c"]""", """["c"]""")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""[1,2]""", """{"a":"b","c":null}""", """{"a":"b"}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    public void Applies_rfc7386(string target, string patch, string expected)
    {
        var result = MergePatch.Apply(JsonNode.Parse(target), JsonNode.Parse(patch));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result), result?.ToJsonString());
    }

    [Fact]
    public void Touched_paths_are_the_leaves()
    {
        var paths = MergePatch.TouchedPaths(JsonNode.Parse("""{"spec":{"customImage":"x","extra":null},"metadata":{"labels":{"a/b":"c"}}}""")).Select(p => p.ToString());
        Assert.Equal(["/spec/customImage", "/spec/extra", "/metadata/labels/a~1b"], paths);
    }
}
