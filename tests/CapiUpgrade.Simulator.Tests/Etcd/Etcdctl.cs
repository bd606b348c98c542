using System.Diagnostics;
using CapiUpgrade.Simulator.Pki;

namespace CapiUpgrade.Simulator.Tests.Etcd;

/// <summary>Runs the real `etcdctl` (ETCDCTL_API=3) with a client certificate minted from the etcd CA.</summary>
public sealed class Etcdctl : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("etcdctl-").FullName;
    private readonly string _ca;
    private readonly string? _cert;
    private readonly string? _key;

    public Etcdctl(CertificateAuthority ca, IssuedCertificate? client = null)
    {
        _ca = Path.Combine(_directory, "ca.crt");
        File.WriteAllText(_ca, ca.CertificatePem);
        if (client is not null) (_cert, _key) = client.WriteTo(_directory, "client");
    }

    /// <summary>A client minted from the CA (CN etcdctl, EKU clientAuth).</summary>
    public static Etcdctl WithMintedCertificate(CertificateAuthority ca) => new(ca, ca.IssueClient("etcdctl"));

    public async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> endpoints, params string[] args)
    {
        var start = new ProcessStartInfo("etcdctl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["ETCDCTL_API"] = "3";
        start.ArgumentList.Add("--endpoints=" + string.Join(',', endpoints));
        start.ArgumentList.Add("--cacert=" + _ca);
        if (_cert is not null) { start.ArgumentList.Add("--cert=" + _cert); start.ArgumentList.Add("--key=" + _key); }
        start.ArgumentList.Add("--dial-timeout=2s");
        start.ArgumentList.Add("--command-timeout=3s");
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, "etcdctl " + string.Join(' ', args) + " did not finish within 30 s: " + await stdout + await stderr);
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, true); } catch (IOException) { }
    }
}
