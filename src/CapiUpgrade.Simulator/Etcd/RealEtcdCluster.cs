using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using CapiUpgrade.Simulator.Pki;
using Etcdserverpb;

namespace CapiUpgrade.Simulator.Etcd;

/// <summary>
/// A workload cluster's etcd as real etcd processes (`etcd` on PATH, Debian etcd-server 3.4) on
/// loopback: server and peer certificates from the cluster's etcd CA, client certificates required
/// on both client and peer ports, `--heartbeat-interval=250 --election-timeout=2500`, data under
/// /dev/shm. Stopping a member waits for its process to exit before its ports could be reused.
/// </summary>
public sealed class RealEtcdCluster : EtcdCluster
{
    private static readonly HashSet<int> HandedOutPorts = [];
    private readonly string _directory;
    private readonly Dictionary<string, RealMember> _members = new(StringComparer.Ordinal);
    private readonly string _token = "capi-sim-" + Guid.NewGuid().ToString("N")[..12];

    public RealEtcdCluster(string clusterName, CertificateAuthority ca, string? baseDirectory = null)
        : base(clusterName, ca)
    {
        var root = baseDirectory ?? (Directory.Exists("/dev/shm") ? "/dev/shm/capi-sim-etcd" : Path.Combine(Path.GetTempPath(), "capi-sim-etcd"));
        SweepOrphans(root);
        _directory = Path.Combine(root, $"{clusterName.Replace('/', '-')}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, OwnerFile), ProcessIdentity(Environment.ProcessId) ?? Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        File.WriteAllText(Path.Combine(_directory, "ca.crt"), ca.CertificatePem);
    }

    /// <summary>In each cluster's directory: the simulator process that owns it (pid and start time, as in /proc).</summary>
    public const string OwnerFile = "owner";

    /// <summary>
    /// A simulator that was killed (SIGKILL, a CI timeout) cannot stop its etcd processes nor delete their data, which
    /// lives in memory under /dev/shm: the next one to start an etcd cluster under the same root stops the etcd
    /// processes of every directory whose owner is gone and deletes the directory. Directories of living owners
    /// (another simulator running beside this one) are left alone; a directory without an owner file (older
    /// simulators) goes once no process uses it and it is 10 minutes old. Returns the directories removed.
    /// </summary>
    public static IReadOnlyList<string> SweepOrphans(string root)
    {
        var removed = new List<string>();
        if (!Directory.Exists(root) || !Directory.Exists("/proc")) return removed;
        foreach (var directory in Directory.EnumerateDirectories(root))
        {
            var owner = Path.Combine(directory, OwnerFile);
            string? recorded;
            try { recorded = File.Exists(owner) ? File.ReadAllText(owner).Trim() : null; }
            catch (IOException) { continue; }
            if (recorded is not null && int.TryParse(recorded.Split(' ')[0], out var pid) && ProcessIdentity(pid) == recorded) continue;
            var users = EtcdProcessesUsing(directory);
            // No owner file: an older simulator's, or one being created this instant (the owner file follows the directory).
            if (recorded is null && (users.Count > 0 || DateTime.UtcNow - Directory.GetLastWriteTimeUtc(directory) < TimeSpan.FromMinutes(10))) continue;
            foreach (var user in users) _ = Kill(user, 9);
            try
            {
                Directory.Delete(directory, recursive: true);
                removed.Add(directory);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return removed;
    }

    /// <summary>"pid starttime" of a living process (start time in clock ticks since boot, /proc/PID/stat field 22), or null.</summary>
    private static string? ProcessIdentity(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return $"{pid} {fields[19]}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Processes named etcd whose --data-dir lies under <paramref name="directory"/>.</summary>
    private static List<int> EtcdProcessesUsing(string directory)
    {
        var prefix = "--data-dir=" + directory.TrimEnd('/') + "/";
        var found = new List<int>();
        foreach (var proc in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out var pid)) continue;
            string[] argv;
            try { argv = File.ReadAllText(Path.Combine(proc, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            if (argv.Length > 0 && Path.GetFileName(argv[0]) == "etcd" && argv.Any(a => a.StartsWith(prefix, StringComparison.Ordinal)))
                found.Add(pid);
        }
        return found;
    }

    /// <summary>Whether an `etcd` binary is on PATH.</summary>
    public static bool IsAvailable() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, "etcd")));

    public override EtcdMode Mode => EtcdMode.Real;

    /// <summary>Where data dirs, certificates and logs live.</summary>
    public string Directory_ => _directory;

    public override IReadOnlyList<EtcdMemberProcess> Processes
    {
        get
        {
            lock (_members)
                return _members.Values.Where(m => m.Process is not null)
                    .Select(m => new EtcdMemberProcess(m.Name, m.PeerUrl, m.ClientUrl, m.Process is { HasExited: false }))
                    .ToList();
        }
    }

    public override async Task BootstrapAsync(IReadOnlyList<string> memberNames, CancellationToken cancellationToken = default)
    {
        var members = memberNames.Select(Reserve).ToList();
        var initial = members.Select(m => (m.Name, m.PeerUrl)).ToList();
        foreach (var member in members) Spawn(member, initial, "new");
        await WaitUntilAsync(async () =>
        {
            foreach (var member in members)
            {
                using var client = Connect(member.ClientUrl);
                var status = await client.StatusAsync(new StatusRequest(), cancellationToken: cancellationToken);
                if (status.Leader == 0) return false;
            }
            return true;
        }, $"the {members.Count} initial members to elect a leader", cancellationToken);
    }

    protected override Task<string> ReservePeerUrlAsync(string memberName, CancellationToken cancellationToken)
    {
        lock (_members)
            if (_members.TryGetValue(memberName, out var known)) return Task.FromResult(known.PeerUrl);
        return Task.FromResult(Reserve(memberName).PeerUrl);
    }

    protected override async Task StartProcessAsync(string memberName, IReadOnlyList<(string Name, string PeerUrl)> initialCluster, CancellationToken cancellationToken)
    {
        RealMember member;
        lock (_members) member = _members[memberName];
        if (member.Process is { HasExited: false }) return;
        Spawn(member, initialCluster, "existing");
        await WaitUntilAsync(async () =>
        {
            using var client = Connect(member.ClientUrl);
            await client.StatusAsync(new StatusRequest(), cancellationToken: cancellationToken);
            return true;
        }, $"member {memberName} to answer on {member.ClientUrl}", cancellationToken);
    }

    public override async Task StopMemberAsync(string memberName, CancellationToken cancellationToken = default)
    {
        RealMember? member;
        lock (_members) _members.TryGetValue(memberName, out member);
        if (member?.Process is not { } process) return;
        await StopProcessAsync(process, cancellationToken);
    }

    public override async Task RestartMemberAsync(string memberName, CancellationToken cancellationToken = default)
    {
        RealMember member;
        lock (_members) member = _members[memberName];
        if (member.Process is { HasExited: false }) return;
        // The data dir holds the membership; --initial-cluster is ignored on restart.
        Spawn(member, [(member.Name, member.PeerUrl)], "existing");
        await WaitUntilAsync(async () =>
        {
            using var client = Connect(member.ClientUrl);
            await client.StatusAsync(new StatusRequest(), cancellationToken: cancellationToken);
            return true;
        }, $"restarted member {memberName} to answer", cancellationToken);
    }

    /// <summary>Freezes (SIGSTOP) or thaws (SIGCONT) the member's process: it stops answering without exiting.</summary>
    public override Task SetMemberUnhealthyAsync(string memberName, bool unhealthy, CancellationToken cancellationToken = default)
    {
        RealMember? member;
        lock (_members) _members.TryGetValue(memberName, out member);
        if (member?.Process is not { HasExited: false } process)
            throw new InvalidOperationException($"real etcd of {ClusterName}: member {memberName} has no running process.");
        _ = Kill(process.Id, unhealthy ? 19 : 18);
        return Task.CompletedTask;
    }

    /// <summary>Not offered on real etcd: a process cannot be made slow from outside here (freeze it with EtcdMemberUnhealthy instead).</summary>
    public override Task SetMemberLatencyAsync(string memberName, TimeSpan latency, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"real etcd of {ClusterName}: a slow member (EtcdMemberSlow) is simulated etcd only; freeze member {memberName} with EtcdMemberUnhealthy instead.");

    private RealMember Reserve(string name)
    {
        var member = new RealMember(name, FreePort(), FreePort(), Path.Combine(_directory, name));
        var server = Ca.IssueServer(name);
        var peer = Ca.IssuePeer(name);
        (member.ServerCert, member.ServerKey) = server.WriteTo(member.CertificateDirectory, "server");
        (member.PeerCert, member.PeerKey) = peer.WriteTo(member.CertificateDirectory, "peer");
        lock (_members) _members[name] = member;
        return member;
    }

    private void Spawn(RealMember member, IReadOnlyList<(string Name, string PeerUrl)> initialCluster, string state)
    {
        var ca = Path.Combine(_directory, "ca.crt");
        string[] args =
        [
            $"--name={member.Name}",
            $"--data-dir={member.DataDirectory}",
            $"--listen-client-urls={member.ClientUrl}",
            $"--advertise-client-urls={member.ClientUrl}",
            $"--listen-peer-urls={member.PeerUrl}",
            $"--initial-advertise-peer-urls={member.PeerUrl}",
            $"--initial-cluster={string.Join(',', initialCluster.Select(m => $"{m.Name}={m.PeerUrl}"))}",
            $"--initial-cluster-state={state}",
            $"--initial-cluster-token={_token}",
            "--heartbeat-interval=250",
            "--election-timeout=2500",
            "--strict-reconfig-check=true",
            "--snapshot-count=10000",
            $"--cert-file={member.ServerCert}", $"--key-file={member.ServerKey}",
            "--client-cert-auth=true", $"--trusted-ca-file={ca}",
            $"--peer-cert-file={member.PeerCert}", $"--peer-key-file={member.PeerKey}",
            "--peer-client-cert-auth=true", $"--peer-trusted-ca-file={ca}",
            "--logger=zap", "--log-outputs=stderr",
        ];
        var log = Path.Combine(_directory, member.Name + ".log");
        var start = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec etcd \"$@\" >>\"$LOGFILE\" 2>&1");
        start.ArgumentList.Add("etcd");
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["LOGFILE"] = log;
        start.Environment["ETCD_UNSUPPORTED_ARCH"] = "";
        member.Process = Process.Start(start) ?? throw new InvalidOperationException($"could not start etcd for member {member.Name} of {ClusterName}: is `etcd` on PATH (apt-get install etcd-server)?");
    }

    private async Task WaitUntilAsync(Func<Task<bool>> condition, string what, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + ReconfigurationTimeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (await condition().WaitAsync(AttemptTimeout, cancellationToken)) return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                last = e;
            }
            await Task.Delay(200, cancellationToken);
        }
        throw new TimeoutException($"real etcd of {ClusterName}: timed out waiting for {what}; see the logs in {_directory}. Last error: {last?.Message}");
    }

    private static async Task StopProcessAsync(Process process, CancellationToken cancellationToken)
    {
        if (process.HasExited) return;
        _ = Kill(process.Id, 18);
        _ = Kill(process.Id, 15);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static int FreePort()
    {
        while (true)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            lock (HandedOutPorts)
                if (HandedOutPorts.Add(port)) return port;
        }
    }

    public override async ValueTask DisposeAsync()
    {
        CloseMemberClients();
        List<Process> processes;
        lock (_members) processes = _members.Values.Select(m => m.Process).OfType<Process>().ToList();
        await Task.WhenAll(processes.Select(p => StopProcessAsync(p, CancellationToken.None)));
        foreach (var p in processes) p.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private sealed class RealMember(string name, int clientPort, int peerPort, string directory)
    {
        public string Name { get; } = name;
        public string ClientUrl { get; } = $"https://127.0.0.1:{clientPort}";
        public string PeerUrl { get; } = $"https://127.0.0.1:{peerPort}";
        public string DataDirectory { get; } = Path.Combine(directory, "data");
        public string CertificateDirectory { get; } = Path.Combine(directory, "pki");
        public string ServerCert { get; set; } = "";
        public string ServerKey { get; set; } = "";
        public string PeerCert { get; set; } = "";
        public string PeerKey { get; set; } = "";
        public Process? Process { get; set; }
    }
}
