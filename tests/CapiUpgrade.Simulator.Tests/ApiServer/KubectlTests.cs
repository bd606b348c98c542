using System.Net;
using System.Text;
using CapiUpgrade.Simulator.ApiServer;
using CapiUpgrade.Simulator.ApiServer.Schema;

namespace CapiUpgrade.Simulator.Tests.ApiServer;

/// <summary>The real kubectl (v1.32) as a subprocess against a simulated server with the CAPI CRDs loaded.</summary>
public sealed class KubectlTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private KubeApiServer _server = null!;
    private Kubectl _kubectl = null!;

    public async Task InitializeAsync()
    {
        _server = await KubeApiServer.StartAsync(CrdLoader.Apply(new KubeApiServerOptions { Name = "kubectl-test" }, TestPaths.CapiCrds));
        _kubectl = new Kubectl(_server.Kubeconfig());
    }

    public async Task DisposeAsync()
    {
        _kubectl.Dispose();
        await _server.DisposeAsync();
    }

    private Task<(int Exit, string Out, string Err)> Apply(string yaml) => _kubectl.RunWithInputAsync(yaml, "apply", "-f", "-");

    private static string ConfigMap(string name, string ns, string app, string value = "1") => $"""
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {name}
          namespace: {ns}
          labels:
            app: {app}
        data:
          key: "{value}"
        """;

    [Fact]
    public async Task Apply_twice_says_unchanged_and_get_all_namespaces_filters_by_label()
    {
        await _kubectl.OkAsync("create", "namespace", "other");
        var first = await Apply(ConfigMap("web", "default", "shop"));
        Assert.True(first.Exit == 0, first.Err);
        Assert.Contains("configmap/web created", first.Out);
        var second = await Apply(ConfigMap("web", "default", "shop"));
        Assert.Contains("configmap/web unchanged", second.Out);
        var changed = await Apply(ConfigMap("web", "default", "shop", "2"));
        Assert.Contains("configmap/web configured", changed.Out);
        Assert.Equal(0, (await Apply(ConfigMap("db", "other", "shop"))).Exit);
        Assert.Equal(0, (await Apply(ConfigMap("misc", "other", "blog"))).Exit);

        var names = await _kubectl.OkAsync("get", "configmaps", "-A", "-l", "app=shop", "-o", "name");
        Assert.Equal(["configmap/db", "configmap/web"], names.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
        var table = await _kubectl.OkAsync("get", "cm", "-A", "-l", "app in (blog)");
        Assert.Contains("misc", table);
        Assert.DoesNotContain("web", table);
        Assert.Equal("2", await _kubectl.OkAsync("get", "cm", "web", "-o", "jsonpath={.data.key}"));
    }

    [Fact]
    public async Task Patch_merge_json_strategic_and_label_change_the_object()
    {
        await Apply(ConfigMap("p", "default", "x"));
        await _kubectl.OkAsync("patch", "configmap", "p", "--type", "merge", "-p", """{"data":{"merged":"yes"}}""");
        await _kubectl.OkAsync("patch", "configmap", "p", "--type", "json", "-p", """[{"op":"add","path":"/data/json","value":"yes"}]""");
        await _kubectl.OkAsync("patch", "configmap", "p", "--type", "strategic", "-p", """{"data":{"strategic":"yes","key":null}}""");
        await _kubectl.OkAsync("label", "configmap", "p", "tier=gold");
        await _kubectl.OkAsync("label", "configmap", "p", "app-");
        var data = await _kubectl.OkAsync("get", "cm", "p", "-o", "jsonpath={.data.merged},{.data.json},{.data.strategic},{.data.key}");
        Assert.Equal("yes,yes,yes,", data);
        Assert.Equal("""{"tier":"gold"}""", await _kubectl.OkAsync("get", "cm", "p", "-o", "jsonpath={.metadata.labels}"));

        // strategic merge on a pod: containers merge by name
        var pod = """
            apiVersion: v1
            kind: Pod
            metadata: {name: web, namespace: default}
            spec:
              containers:
              - {name: app, image: "app:1"}
              - {name: sidecar, image: "side:1"}
            """;
        Assert.Equal(0, (await Apply(pod)).Exit);
        await _kubectl.OkAsync("patch", "pod", "web", "-p", """{"spec":{"containers":[{"name":"sidecar","image":"side:2"}]}}""");
        Assert.Equal("app:1 side:2", await _kubectl.OkAsync("get", "pod", "web", "-o", "jsonpath={.spec.containers[*].image}"));
    }

    [Fact]
    public async Task Delete_waits_for_the_finalizer_then_completes()
    {
        var held = ConfigMap("held", "default", "x").Replace("  labels:", "  finalizers: [example.com/hold]\n  labels:");
        Assert.Equal(0, (await Apply(held)).Exit);
        using var delete = _kubectl.Start("delete", "configmap", "held", "--timeout=60s");
        await delete.WaitForLineAsync(l => l.Contains("\"held\" deleted"), Deadline);
        Assert.NotEmpty(await _kubectl.OkAsync("get", "cm", "held", "-o", "jsonpath={.metadata.deletionTimestamp}"));
        Assert.False(delete.HasExited);

        await _kubectl.OkAsync("patch", "configmap", "held", "--type", "json", "-p", """[{"op":"remove","path":"/metadata/finalizers"}]""");
        Assert.Equal(0, await delete.WaitForExitAsync(Deadline));
        var (exit, _, err) = await _kubectl.RunAsync("get", "cm", "held");
        Assert.NotEqual(0, exit);
        Assert.Contains("NotFound", err);
    }

    [Fact]
    public async Task Get_watch_prints_a_change()
    {
        await Apply(ConfigMap("watched", "default", "w"));
        using var watch = _kubectl.Start("get", "configmaps", "-w", "-l", "app=w", "-o", "custom-columns=NAME:.metadata.name,VALUE:.data.key", "--no-headers");
        await watch.WaitForLineAsync(l => l.StartsWith("watched") && l.TrimEnd().EndsWith('1'), Deadline);
        await _kubectl.OkAsync("patch", "configmap", "watched", "--type", "merge", "-p", """{"data":{"key":"42"}}""");
        await watch.WaitForLineAsync(l => l.StartsWith("watched") && l.TrimEnd().EndsWith("42"), Deadline);
    }

    [Fact]
    public async Task Cluster_api_kinds_by_full_name_and_schema_errors_as_the_real_server_reports_them()
    {
        const string machine = """
            apiVersion: cluster.x-k8s.io/v1beta1
            kind: Machine
            metadata:
              name: m1
              namespace: default
              labels: {cluster.x-k8s.io/cluster-name: c1}
            spec:
              clusterName: c1
              version: VERSION
              bootstrap: {dataSecretName: boot}
              infrastructureRef: {apiVersion: infrastructure.cluster.x-k8s.io/v1beta1, kind: DockerMachine, name: m1}
            """;
        var wrongType = await Apply(machine.Replace("VERSION", "42"));
        Assert.NotEqual(0, wrongType.Exit);
        Assert.Contains("spec.version: Invalid value: \"integer\": spec.version in body must be of type string: \"integer\"", wrongType.Err);

        var unknownField = await Apply(machine.Replace("VERSION", "v1.29.4").Replace("  clusterName: c1", "  clusterName: c1\n  colour: blue"));
        Assert.NotEqual(0, unknownField.Exit);
        Assert.Contains("unknown field \"spec.colour\"", unknownField.Err);

        var ok = await Apply(machine.Replace("VERSION", "v1.29.4"));
        Assert.True(ok.Exit == 0, ok.Err);
        Assert.Contains("unchanged", (await Apply(machine.Replace("VERSION", "v1.29.4"))).Out);
        Assert.Equal("machine.cluster.x-k8s.io/m1", (await _kubectl.OkAsync("get", "machines.cluster.x-k8s.io", "-A", "-l", "cluster.x-k8s.io/cluster-name=c1", "-o", "name")).Trim());
        Assert.Equal("v1.29.4", await _kubectl.OkAsync("get", "ma", "m1", "-o", "jsonpath={.spec.version}"));
        Assert.Contains("m1", await _kubectl.OkAsync("get", "machines.v1beta1.cluster.x-k8s.io", "-n", "default"));
    }

    [Fact]
    public async Task Faults_switched_on_and_off_through_the_admin_endpoint()
    {
        using var http = new HttpClient { BaseAddress = new Uri(_server.Url) };
        var add = await http.PostAsync("/admin/faults", new StringContent("""{"verb":"list","resource":"configmaps","errorCode":429,"retryAfterSeconds":3}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, add.StatusCode);

        var limited = await http.GetAsync("/api/v1/namespaces/default/configmaps");
        Assert.Equal((HttpStatusCode)429, limited.StatusCode);
        Assert.Equal("3", limited.Headers.GetValues("Retry-After").Single());
        Assert.Contains("\"reason\":\"TooManyRequests\"", await limited.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/v1/namespaces")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await http.DeleteAsync("/admin/faults")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/v1/namespaces/default/configmaps")).StatusCode);
    }
}
