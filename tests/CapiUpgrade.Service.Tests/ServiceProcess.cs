using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using CapiUpgrade.Cli.Palettes;

namespace CapiUpgrade.Service.Tests;

/// <summary>`capi-upgrade serve` as its own process (the binary the CLI project builds), on loopback ports chosen by the OS.</summary>
public sealed partial class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    [GeneratedRegex(@"commands on (?<cmd>[0-9.]+:\d+), HTTP on http://(?<http>[0-9.]+:\d+)")]
    private static partial Regex ReadyPattern();

    private ServiceProcess(Process process) => _process = process;

    public string CommandEndpoint { get; private set; } = "";
    public string HttpEndpoint { get; private set; } = "";
    public string Output { get { lock (_output) return _output.ToString(); } }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public static async Task<ServiceProcess> StartAsync(IEnumerable<string> serveArgs, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "capi-upgrade.dll"));
        start.ArgumentList.Add("serve");
        foreach (var a in serveArgs) start.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        var process = new Process { StartInfo = start };
        var service = new ServiceProcess(process);
        process.OutputDataReceived += (_, e) => service.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => service.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var ready = await Task.WhenAny(service._ready.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(90)));
        if (ready != service._ready.Task)
            throw new InvalidOperationException($"capi-upgrade serve did not become ready (exited: {process.HasExited}); output:\n{service.Output}");
        var m = ReadyPattern().Match(await service._ready.Task);
        service.CommandEndpoint = m.Groups["cmd"].Value;
        service.HttpEndpoint = m.Groups["http"].Value;
        return service;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
        if (line.StartsWith("capi-upgrade service ready", StringComparison.Ordinal)) _ready.TrySetResult(line);
    }

    /// <summary>SIGKILL: no shutdown of any kind.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM: CoordinatedShutdown.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        kill(_process.Id, 15);
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>The real client code path (in this process): `capi-upgrade HOST:PORT palette command args`.</summary>
    public async Task<(int Code, string Out, string Err)> CliAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await PaletteCli.RunAsync([CommandEndpoint, .. args], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(); await _process.WaitForExitAsync(); } catch (InvalidOperationException) { }
        }
        _process.Dispose();
    }
}
