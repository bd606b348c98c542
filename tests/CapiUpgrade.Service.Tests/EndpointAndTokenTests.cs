using System.Net;
using System.Net.Http.Headers;
using CapiUpgrade.Cli.Palettes;
using CapiUpgrade.Service.Hosting;
using CapiUpgrade.Service.Http;
using CapiUpgrade.Service.ReadModel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace CapiUpgrade.Service.Tests;

public sealed class EndpointAndTokenTests
{
    private const string Token = "s3cret-token-0123456789abcdef";

    [Theory]
    [InlineData("--listen", "0.0.0.0:0")]
    [InlineData("--http", "0.0.0.0:0")]
    public async Task Binding_a_non_loopback_address_without_a_token_is_refused(string option, string address)
    {
        var flags = option == "--listen"
            ? new ServiceOptions.Flags { Listen = address, Http = "127.0.0.1:0", Db = Path.GetTempFileName() }
            : new ServiceOptions.Flags { Listen = "127.0.0.1:0", Http = address, Db = Path.GetTempFileName() };
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = await ServiceHost.RunAsync(flags, stdout, stderr);

        Assert.Equal(2, code);
        Assert.Contains("without a token", stderr.ToString());
        Assert.Contains(option, stderr.ToString());
        Assert.Contains("--token-file", stderr.ToString());
        Assert.Empty(stdout.ToString());
    }

    [Fact]
    public void A_token_file_allows_a_non_loopback_address()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, Token);

        var options = ServiceOptions.Resolve(new ServiceOptions.Flags { Listen = "0.0.0.0:9110", TokenFile = file, Db = "x.db" }, _ => null);

        Assert.False(options.Listen.IsLoopback);
        Assert.Equal(Token, options.Token);
    }

    [Fact]
    public async Task Command_endpoint_refuses_a_wrong_or_missing_token_and_never_logs_it()
    {
        await using var service = await RunningService.StartAsync(Token);
        Environment.SetEnvironmentVariable("CAPI_UPGRADE_TOKEN", null);
        var wrongFile = Path.Combine(service.Directory, "wrong");
        await File.WriteAllTextAsync(wrongFile, "wrong-token-value-987654321");
        var rightFile = Path.Combine(service.Directory, "token");

        var missing = await service.CliAsync("upgrade", "list");
        var wrong = await service.CliAsync("upgrade", "list", "--token-file", wrongFile);
        var right = await service.CliAsync("upgrade", "list", "--token-file", rightFile);

        Assert.Equal(4, missing.Code);
        Assert.Contains("unauthorized", missing.Err);
        Assert.Equal(4, wrong.Code);
        Assert.Equal(0, right.Code);
        Assert.Contains("no upgrades", right.Out);
        Assert.Contains(service.Logs.Lines, l => l.Contains("wrong token") && l.Contains("command"));
        Assert.Contains(service.Logs.Lines, l => l.Contains("no token"));
        Assert.DoesNotContain("wrong-token-value-987654321", service.Logs.All);
        Assert.DoesNotContain(Token, service.Logs.All);
    }

    [Fact]
    public async Task Http_api_answers_401_to_a_wrong_token_and_logs_without_it()
    {
        await using var service = await RunningService.StartAsync(Token);
        using var http = new HttpClient { BaseAddress = service.HttpBase };

        var anonymous = await http.GetAsync("api/upgrades");
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "api/upgrades") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "wrong-token-value-987654321") } };
        var wrongAnswer = await http.SendAsync(wrong);
        using var right = new HttpRequestMessage(HttpMethod.Get, "api/upgrades") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", Token) } };
        var rightAnswer = await http.SendAsync(right);
        var health = await http.GetAsync("healthz");
        using var metrics = new HttpRequestMessage(HttpMethod.Get, "metrics") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "nope-nope-nope") } };
        var metricsAnswer = await http.SendAsync(metrics);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongAnswer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, rightAnswer.StatusCode);
        Assert.Equal("[]", await rightAnswer.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, metricsAnswer.StatusCode);
        Assert.Contains(service.Logs.Lines, l => l.Contains("wrong token") && l.Contains("http"));
        Assert.DoesNotContain("wrong-token-value-987654321", service.Logs.All);
        Assert.DoesNotContain(Token, service.Logs.All);
    }

    [Fact]
    public async Task Readyz_answers_200_only_once_the_read_model_has_caught_up_and_needs_no_token()
    {
        await using var service = await RunningService.StartAsync(Token);
        using var http = new HttpClient { BaseAddress = service.HttpBase };
        var projection = service.Host.Services.GetRequiredService<ReadModelProjection>();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        HttpResponseMessage ready;
        while (true)
        {
            ready = await http.GetAsync("readyz");
            var body = await ready.Content.ReadAsStringAsync();
            if (ready.StatusCode == HttpStatusCode.OK)
            {
                Assert.Equal("ready\n", body);
                break;
            }
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.StartsWith("catching up: the read model has read", body);
            Assert.True(DateTime.UtcNow < deadline, "the read model never caught up: " + body);
            await Task.Delay(20);
        }
        Assert.True(projection.CaughtUp.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Readyz_answers_503_saying_how_far_the_read_model_got_while_it_has_not_caught_up()
    {
        // The HTTP API alone, over a read model that never starts (as one still folding a long journal).
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton(new ReadModelProjection(ReadModelCheckpointSettings.Default));
        await using var app = builder.Build();
        app.MapCommandApi();
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        var answer = await http.GetAsync("readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        Assert.Equal("catching up: the read model has read 0 journal events (from the start of the journal)\n", await answer.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task One_shot_client_prints_tables_json_and_exit_codes()
    {
        await using var service = await RunningService.StartAsync();

        var table = await service.CliAsync("upgrade", "list");
        var json = await service.CliAsync("upgrade", "list", "--output", "json");
        var unknownCommand = await service.CliAsync("upgrade", "frobnicate");
        var missingArgument = await service.CliAsync("upgrade", "show");
        var badCluster = await service.CliAsync("upgrade", "show", "not-a-cluster");
        var unknownCluster = await service.CliAsync("upgrade", "show", "ns/none");
        var help = await service.CliAsync("upgrade", "help");

        Assert.Equal(0, table.Code);
        Assert.Contains("no upgrades", table.Out);
        Assert.Equal(0, json.Code);
        Assert.Equal("[]", json.Out.Trim());
        Assert.Equal(2, unknownCommand.Code);
        Assert.Contains("list", unknownCommand.Err);
        Assert.Equal(2, missingArgument.Code);
        Assert.Contains("usage: upgrade show CLUSTER", missingArgument.Err);
        Assert.Equal(1, badCluster.Code);
        Assert.Contains("NAMESPACE/NAME", badCluster.Err);
        Assert.Equal(1, unknownCluster.Code);
        Assert.Contains("no upgrade known for cluster ns/none", unknownCluster.Err);
        Assert.Equal(0, help.Code);
        Assert.Contains("tail", help.Out);
    }

    [Fact]
    public async Task Client_says_when_no_service_listens()
    {
        var stderr = new StringWriter();
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var code = await PaletteCli.RunAsync([$"127.0.0.1:{port}", "upgrade", "list"], new StringWriter(), stderr);

        Assert.Equal(3, code);
        Assert.Contains("cannot reach the capi-upgrade service", stderr.ToString());
    }

    [Fact]
    public async Task Metrics_endpoint_serves_prometheus_text_with_command_counts()
    {
        await using var service = await RunningService.StartAsync();
        await service.CliAsync("upgrade", "list");
        using var http = new HttpClient { BaseAddress = service.HttpBase };

        var text = await http.GetStringAsync("metrics");

        Assert.Contains("capi_upgrade_commands_total{", text);
        Assert.Contains("palette=\"upgrade\"", text);
        Assert.Contains("capi_upgrade_command_duration_seconds_bucket", text);
        // `upgrade list` waits for the read model: it has caught up, and says so.
        Assert.Contains("capi_upgrade_read_model_caught_up 1", text);
        Assert.Contains("capi_upgrade_read_model_events_read_total ", text);
    }

    [Fact]
    public async Task Shell_runs_commands_and_prints_help_per_palette_and_command()
    {
        await using var service = await RunningService.StartAsync();
        var stdout = new StringWriter();
        var input = new StringReader("help\nhelp campaign\nhelp upgrade pause\nupgrade list -o json\nexit\n");

        var code = await PaletteCli.RunAsync(["shell", service.CommandEndpoint], stdout, new StringWriter(), input);

        Assert.Equal(0, code);
        var text = stdout.ToString();
        Assert.Contains("palettes", text);
        Assert.Contains("approve", text);
        Assert.Contains("usage: upgrade pause CLUSTER [--reason VALUE]", text);
        Assert.Contains("[]", text);
    }
}
