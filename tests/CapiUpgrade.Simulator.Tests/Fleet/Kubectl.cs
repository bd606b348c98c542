using System.Diagnostics;

namespace CapiUpgrade.Simulator.Tests.Fleet;

/// <summary>Runs the real `kubectl` with a kubeconfig file and a private discovery cache.</summary>
public sealed class Kubectl : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("kubectl-").FullName;

    public async Task<(int ExitCode, string Output)> RunAsync(string kubeconfig, params string[] args)
    {
        var file = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".kubeconfig");
        await File.WriteAllTextAsync(file, kubeconfig);
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["HOME"] = _directory;
        start.ArgumentList.Add("--kubeconfig=" + file);
        start.ArgumentList.Add("--cache-dir=" + Path.Combine(_directory, "cache-" + Path.GetFileNameWithoutExtension(file)));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, true); } catch (IOException) { }
    }
}
