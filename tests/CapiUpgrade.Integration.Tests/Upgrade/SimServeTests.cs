namespace CapiUpgrade.Integration.Tests.Upgrade;

/// <summary>`capi-upgrade sim serve` as a user starts it, and the engine pointed at the kubeconfig it writes.</summary>
public sealed class SimServeTests
{
    [Fact]
    public async Task Without_tls_sim_serve_writes_a_kubeconfig_that_run_can_use()
    {
        var directory = Directory.CreateTempSubdirectory("capi-sim-serve-").FullName;
        var kubeconfig = Path.Combine(directory, "management.kubeconfig");
        try
        {
            using var serve = EngineProcess.Start("sim", "serve", "--port", "0", "--kubeconfig-out", kubeconfig, "--clusters", "1", "--etcd", "simulated");
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (!(File.Exists(kubeconfig) && serve.Output.Contains("press Ctrl-C", StringComparison.Ordinal)) && DateTime.UtcNow < deadline && !serve.HasExited)
                await Task.Delay(200);
            Assert.True(File.Exists(kubeconfig), $"sim serve wrote no kubeconfig; output:\n{serve.Output}");
            var text = await File.ReadAllTextAsync(kubeconfig);
            Assert.Contains("server: http://", text);
            Assert.Contains("token:", text);
            // kubectl sends no bearer token over plain HTTP: the server answers it anyway.
            using (var kubectl = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("kubectl", ["--kubeconfig", kubeconfig, "get", "namespaces", "-o", "name"]) { RedirectStandardOutput = true, RedirectStandardError = true })!)
            {
                var listed = await kubectl.StandardOutput.ReadToEndAsync();
                await kubectl.WaitForExitAsync();
                Assert.True(kubectl.ExitCode == 0, $"kubectl get namespaces failed: {await kubectl.StandardError.ReadToEndAsync()}");
                Assert.Contains("namespace/fleet-0", listed);
            }

            using var run = EngineProcess.Start("run", "--kubeconfig", kubeconfig, "--cluster", "fleet-0/cluster-0000", "--to", "v1.30.2", "--dry-run", "--db", Path.Combine(directory, "journal.db"));
            var exit = await run.WaitAsync(TimeSpan.FromMinutes(2));

            Assert.True(exit == 0, $"run --dry-run exited {exit}:\n{run.Output}");
            Assert.Contains("v1.30.2", run.Output);
            Assert.DoesNotContain("auth credentials", run.Output);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
