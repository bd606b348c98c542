using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer.Selectors;
using CapiUpgrade.Simulator.ApiServer.Storage;

namespace CapiUpgrade.Simulator.Tests.ApiServer;

public sealed class SelectorTests
{
    private static JsonObject WithLabels(string labels) => JsonNode.Parse("{\"metadata\":{\"labels\":" + labels + "}}")!.AsObject();

    [Theory]
    [InlineData("cluster.x-k8s.io/cluster-name=c1,cluster.x-k8s.io/control-plane", true)]
    [InlineData("cluster.x-k8s.io/control-plane=", true)]
    [InlineData("cluster.x-k8s.io/cluster-name in (c2, c1)", true)]
    [InlineData("cluster.x-k8s.io/cluster-name notin (c1)", false)]
    [InlineData("!cluster.x-k8s.io/control-plane", false)]
    [InlineData("missing!=x", true)]
    [InlineData("missing", false)]
    [InlineData("cluster.x-k8s.io/cluster-name==c2", false)]
    public void Label_selector_operators_match_like_the_real_server(string selector, bool expected)
    {
        var obj = WithLabels("""{"cluster.x-k8s.io/cluster-name":"c1","cluster.x-k8s.io/control-plane":""}""");
        Assert.Equal(expected, LabelSelector.Parse(selector).Matches(obj));
    }

    [Theory]
    [InlineData("a in b")]
    [InlineData("a>1")]
    [InlineData("a,,b")]
    public void Malformed_label_selectors_are_bad_requests(string selector)
    {
        var e = Assert.Throws<ApiException>(() => LabelSelector.Parse(selector));
        Assert.Equal(400, e.Code);
    }
}
