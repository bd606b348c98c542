using System.Text.Json.Nodes;
using CapiUpgrade.Core.Yaml;

namespace CapiUpgrade.Core.Tests.Yaml;

public class YamlJsonTests
{
    [Fact]
    public void Plain_scalars_are_typed_and_quoted_ones_stay_strings()
    {
        var node = YamlJson.Parse("a: 1\nb: true\nc: ~\nd: 1.5\ne: \"1\"\nf: v1.30.2\ng: '0600'\nh: 0600\n")!;
        Assert.Equal(1L, node["a"]!.GetValue<long>());
        Assert.True(node["b"]!.GetValue<bool>());
        Assert.Null(node["c"]);
        Assert.Equal(1.5, node["d"]!.GetValue<double>());
        Assert.Equal("1", node["e"]!.GetValue<string>());
        Assert.Equal("v1.30.2", node["f"]!.GetValue<string>());
        Assert.Equal("0600", node["g"]!.GetValue<string>());
    }

    [Fact]
    public void Round_trips_through_yaml_without_changing_types()
    {
        var original = JsonNode.Parse("""{"s":"true","n":3,"b":false,"e":"","list":["1",2,{"x":null}],"nested":{"k":"v: with colon"}}""");
        var back = YamlJson.Parse(YamlJson.ToYaml(original));
        Assert.True(JsonNode.DeepEquals(original, back), YamlJson.ToYaml(original));
    }

    [Fact]
    public void Parses_json_too()
    {
        Assert.Equal(2, YamlJson.Parse("""{"a":[1,2]}""")!["a"]!.AsArray().Count);
    }
}
