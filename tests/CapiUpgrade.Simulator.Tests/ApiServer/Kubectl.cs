using System.Diagnostics;
using System.Text;

namespace CapiUpgrade.Simulator.Tests.ApiServer;

/// <summary>Runs the real kubectl (/usr/bin/kubectl) against one server with a fresh HOME and cache dir.</summary>
public sealed class Kubectl : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _home;
    private readonly string _kubeconfig;

    public Kubectl(string kubeconfigYaml)
    {
        _home = Directory.CreateTempSubdirectory("kubectl-home-").FullName;
        _kubeconfig = Path.Combine(_home, "kubeconfig");
        File.WriteAllText(_kubeconfig, kubeconfigYaml);
    }

    public string Home => _home;

    private ProcessStartInfo StartInfo(IEnumerable<string> args, string? stdin)
    {
        var psi = new ProcessStartInfo("kubectl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        psi.Environment["HOME"] = _home;
        psi.Environment.Remove("KUBECONFIG");
        foreach (var a in new[] { "--kubeconfig", _kubeconfig, "--cache-dir", Path.Combine(_home, "cache"), "--request-timeout", "30s" }.Concat(args))
            psi.ArgumentList.Add(a);
        return psi;
    }

    /// <summary>Runs kubectl to completion (fails the test past the deadline).</summary>
    public async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args) => await RunWithInputAsync(null, args);

    public async Task<(int Exit, string Out, string Err)> RunWithInputAsync(string? stdin, params string[] args)
    {
        using var process = Process.Start(StartInfo(args, stdin))!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(Deadline);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"kubectl {string.Join(' ', args)} did not finish within {Deadline}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs kubectl and asserts exit 0; returns stdout.</summary>
    public async Task<string> OkAsync(params string[] args)
    {
        var (exit, output, error) = await RunAsync(args);
        Assert.True(exit == 0, $"kubectl {string.Join(' ', args)} exited {exit}: {error}{output}");
        return output;
    }

    /// <summary>Starts a long-running kubectl (e.g. get -w, delete waiting); read its lines, then dispose to kill it.</summary>
    public RunningKubectl Start(params string[] args) => new(Process.Start(StartInfo(args, null))!);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}

public sealed class RunningKubectl : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _err = new();

    internal RunningKubectl(Process process)
    {
        _process = process;
        _ = Task.Run(async () =>
        {
            string? line;
            while ((line = await process.StandardError.ReadLineAsync()) is not null)
                lock (_err) _err.AppendLine(line);
        });
    }

    public string Errors { get { lock (_err) return _err.ToString(); } }

    /// <summary>Reads stdout lines until one satisfies <paramref name="match"/>; fails at the deadline.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan deadline)
    {
        using var cts = new CancellationTokenSource(deadline);
        var seen = new List<string>();
        try
        {
            while (true)
            {
                var line = await _process.StandardOutput.ReadLineAsync(cts.Token);
                Assert.True(line is not null, $"kubectl ended before the expected line; saw: {string.Join(" | ", seen)}; stderr: {Errors}");
                seen.Add(line!);
                if (match(line!)) return line!;
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"no matching kubectl output within {deadline}; saw: {string.Join(" | ", seen)}; stderr: {Errors}");
            throw;
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan deadline)
    {
        using var cts = new CancellationTokenSource(deadline);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"kubectl did not exit within {deadline}; stderr: {Errors}");
        }
        return _process.ExitCode;
    }

    public bool HasExited => _process.HasExited;

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
