using System.Text.Json;
using CapiUpgrade.Core.Upgrades;

namespace CapiUpgrade.Service.Tests;

/// <summary>
/// The engine's real ClusterUpgradeActor, hosted as a sharded entity, with no management cluster:
/// its preflight pauses the upgrade with a reason. Exercises sharding, the journal, the read model
/// by tag, tail streaming, steering through the CLI and a restart.
/// </summary>
public sealed class UpgradeReadModelTests
{
    [Fact]
    public async Task Upgrade_commands_read_the_journal_stream_tail_and_survive_a_restart()
    {
        var directory = Path.Combine(Path.GetTempPath(), "capi-upgrade-service-tests", Guid.NewGuid().ToString("N"));
        var cluster = new ClusterKey("fleet", "c1");
        await using (var service = await RunningService.StartAsync(directory: directory))
        {
            using var tailStop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var tailOut = new StringWriter();
            var tail = Cli.Palettes.PaletteCli.RunAsync([service.CommandEndpoint, "upgrade", "tail"], TextWriter.Synchronized(tailOut), new StringWriter(), cancellationToken: tailStop.Token);

            await service.StartUpgradeAsync(cluster, "u-1");

            await Eventually.TrueAsync(async () => (await service.CliAsync("upgrade", "list")).Out.Contains("Paused"), TimeSpan.FromSeconds(30), "upgrade list shows the paused upgrade");
            var list = await service.CliAsync("upgrade", "list");
            Assert.Contains("fleet/c1", list.Out);
            Assert.Contains("u-1", list.Out);
            Assert.Contains("--kubeconfig", list.Out);

            var resume = await service.CliAsync("upgrade", "resume", "fleet/c1");
            Assert.Equal(0, resume.Code);
            Assert.Contains("resumed", resume.Out);

            await Eventually.TrueAsync(async () => (await service.CliAsync("upgrade", "events", "fleet/c1")).Out.Contains("UpgradeResumed"),
                TimeSpan.FromSeconds(30), "events show the resume");
            await Eventually.TrueAsync(() => Task.FromResult(tailOut.ToString().Contains("fleet/c1 u-1 UpgradeResumed")), TimeSpan.FromSeconds(30), "tail streamed the resume");
            await Eventually.TrueAsync(() => Task.FromResult(tailOut.ToString().Split("UpgradeResumed")[1].Contains("UpgradePaused")), TimeSpan.FromSeconds(30), "tail streamed the pause after the resume");
            await tailStop.CancelAsync();
            Assert.Equal(0, await tail);

            var show = await service.CliAsync("upgrade", "show", "default/fleet/c1");
            Assert.Equal(0, show.Code);
            Assert.Contains("upgrade of fleet/c1", show.Out);
            Assert.Contains("resume", show.Out);
            Assert.Contains("@", show.Out); // who resumed: user@host

            var abortUnknown = await service.CliAsync("upgrade", "abort", "fleet/never-upgraded");
            Assert.Equal(1, abortUnknown.Code);
            Assert.Contains("refused", abortUnknown.Err);
        }

        await using (var restarted = await RunningService.StartAsync(directory: directory))
        {
            var json = await restarted.CliAsync("upgrade", "show", "fleet/c1", "-o", "json");
            Assert.Equal(0, json.Code);
            using var doc = JsonDocument.Parse(json.Out);
            Assert.Equal("u-1", doc.RootElement.GetProperty("upgradeId").GetString());
            Assert.Equal("v1.30.2", doc.RootElement.GetProperty("toVersion").GetString());
            Assert.Contains(doc.RootElement.GetProperty("actions").EnumerateArray(), a => a.GetProperty("action").GetString() == "resume");
            var events = await restarted.CliAsync("upgrade", "events", "fleet/c1");
            Assert.Contains("UpgradeStarted", events.Out);
            Assert.Contains("UpgradeResumed", events.Out);
        }
    }

    [Fact]
    public async Task Http_api_serves_the_same_operations_and_streams_tail_as_server_sent_events()
    {
        await using var service = await RunningService.StartAsync();
        using var http = new HttpClient { BaseAddress = service.HttpBase };
        using var sse = await http.GetAsync("api/upgrade/tail?cluster=fleet/c2", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", sse.Content.Headers.ContentType?.MediaType);
        await using var stream = await sse.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(stream);

        await service.StartUpgradeAsync(new ClusterKey("fleet", "c2"), "u-2");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? line;
        var seen = new List<string>();
        while ((line = await reader.ReadLineAsync(timeout.Token)) is not null)
        {
            seen.Add(line);
            if (line.Contains("UpgradePaused")) break;
        }
        Assert.Contains(seen, l => l == "event: event");
        Assert.Contains(seen, l => l.StartsWith("data: ") && l.Contains("UpgradeStarted"));

        var list = await http.GetStringAsync("api/upgrades");
        Assert.Contains("\"cluster\":\"fleet/c2\"", list);
        var pause = await http.PostAsync("api/upgrade/pause", new StringContent("{\"cluster\":\"fleet/c2\",\"reason\":\"maintenance\"}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.OK, pause.StatusCode);
        Assert.Contains("paused", await pause.Content.ReadAsStringAsync());
        var unknown = await http.PostAsync("api/upgrade/resume", new StringContent("{\"cluster\":\"fleet/none\"}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, unknown.StatusCode);
        Assert.Contains("refused", await unknown.Content.ReadAsStringAsync());
        var missing = await http.GetAsync("api/upgrade/show");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, missing.StatusCode);
    }
}
