using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.Controllers;
using CapiUpgrade.Simulator.Etcd;
using CapiUpgrade.Simulator.Fleet;
using Etcdserverpb;

namespace CapiUpgrade.Simulator.Observer;

/// <summary>
/// Records, at every change of Machines and Secrets (shared watches on the management API server) and by
/// polling etcd every <see cref="PollInterval"/> (100 ms), the invariants an upgrade must hold per cluster:
/// control-plane Machine count, etcd members and voters, healthy voters vs quorum, stale members (no
/// Machine), missing certificate secrets, alarms. A violation is recorded with its time when an invariant
/// becomes broken (once per episode).
/// </summary>
public sealed class InvariantObserver : IAsyncDisposable
{
    private static readonly string[] SecretSuffixes = ["ca", "etcd", "sa", "proxy", "kubeconfig"];
    private readonly SharedWatch _machines;
    private readonly SharedWatch _secrets;
    private readonly Func<IReadOnlyCollection<(string Key, EtcdCluster Etcd)>> _clusters;
    private readonly ConcurrentDictionary<string, EtcdView> _etcd = new(StringComparer.Ordinal);
    // When each Machine (and its Node name) of a cluster was last seen, and clusters with a member whose Machine
    // is gone but whose etcd view predates that: a member is stale only when etcd still lists it in a view read
    // after its Machine was gone (the engine removes the member before it releases the Machine; a view polled
    // just before the removal must not count).
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, DateTimeOffset>> _lastSeen = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _staleCandidates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ClusterInvariants> _latest = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, List<ClusterInvariants>> _history = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string, InvariantKind), bool> _open = new();
    private readonly List<InvariantViolation> _violations = [];
    private readonly ConcurrentDictionary<string, RealProbe> _probes = new(StringComparer.Ordinal);
    // The keys of each cluster's Machines in the shared watch's cache: an evaluation reads its own cluster's
    // Machines, not every Machine of the fleet (at 200 clusters that scan was a sixth of the simulator's CPU).
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _machineKeys = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task? _poller;

    public InvariantObserver(SharedWatch machines, SharedWatch secrets, Func<IReadOnlyCollection<(string Key, EtcdCluster Etcd)>> clusters, int maxControlPlaneMachines)
    {
        _machines = machines;
        _secrets = secrets;
        _clusters = clusters;
        MaxControlPlaneMachines = maxControlPlaneMachines;
        // The initial list (SYNC) is evaluated once per cluster by the first etcd poll, not once per object.
        _machines.Subscribe(change =>
        {
            var cluster = ClusterOfMachine(change.Object);
            var keys = _machineKeys.GetOrAdd(cluster, _ => new ConcurrentDictionary<string, byte>(StringComparer.Ordinal));
            if (change.Type == "DELETED") keys.TryRemove(change.Key, out _); else keys[change.Key] = 0;
            if (change.Type != "SYNC") Evaluate(cluster);
            return Task.CompletedTask;
        });
        _secrets.Subscribe(change =>
        {
            if (change.Type == "SYNC") return Task.CompletedTask;
            var cluster = Json.Str(change.Object, "metadata", "labels", ManagementObjects.ClusterNameLabel);
            if (cluster is not null) Evaluate(Json.Str(change.Object, "metadata", "namespace") + "/" + cluster);
            return Task.CompletedTask;
        });
    }

    /// <summary>Control-plane Machines allowed at any instant (replicas + maxSurge 1 by default).</summary>
    public int MaxControlPlaneMachines { get; set; }

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Consecutive failed probes before a real etcd member counts as unhealthy (absorbs a busy machine's hiccups).</summary>
    public int RealProbeFailuresBeforeUnhealthy { get; init; } = 3;

    public IReadOnlyList<InvariantViolation> Violations { get { lock (_violations) return [.. _violations]; } }

    public IReadOnlyList<InvariantViolation> ViolationsOf(string cluster) => Violations.Where(v => v.Cluster == cluster).ToList();

    public ClusterInvariants? Latest(string cluster) => _latest.TryGetValue(cluster, out var l) ? l : null;

    public IReadOnlyDictionary<string, ClusterInvariants> LatestAll => _latest;

    /// <summary>Every distinct state observed for the cluster, in order.</summary>
    public IReadOnlyList<ClusterInvariants> History(string cluster)
    {
        if (!_history.TryGetValue(cluster, out var list)) return [];
        lock (list) return [.. list];
    }

    /// <summary>Forgets recorded violations and history (e.g. after a deliberate fault), keeping the current state.</summary>
    public void Reset()
    {
        lock (_violations) _violations.Clear();
        _history.Clear();
        _open.Clear();
        foreach (var key in _latest.Keys) Evaluate(key, force: true);
    }

    public void Start() => _poller ??= Task.Run(() => PollAsync(_stop.Token));

    private async Task PollAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(PollInterval);
        do
        {
            var clusters = _clusters();
            await Task.WhenAll(clusters.Select(async c =>
            {
                try
                {
                    var view = c.Etcd is SimulatedEtcdCluster simulated ? Observe(simulated) : await ProbeAsync(c.Key, c.Etcd, ct);
                    var changed = !_etcd.TryGetValue(c.Key, out var old) || !old.Equals(view);
                    _etcd[c.Key] = view;
                    if (changed || _staleCandidates.ContainsKey(c.Key)) Evaluate(c.Key);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                }
            }));
        }
        while (await timer.WaitForNextTickAsync(ct).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default));
    }

    private static EtcdView Observe(SimulatedEtcdCluster etcd)
    {
        var members = etcd.Membership.Members;
        var alarms = etcd.Membership.Alarms;
        return new EtcdView(
            members.Select(m => new MemberView(m.Name, m.IsLearner, m.IsActive)).OrderBy(m => m.Name, StringComparer.Ordinal).ToList(),
            alarms.Select(a => $"{members.FirstOrDefault(m => m.Id == a.MemberID)?.Name ?? a.MemberID.ToString()}:{SimulatedEtcdMembership.AlarmName(a.Alarm)}").Order().ToList());
    }

    private async Task<EtcdView> ProbeAsync(string key, EtcdCluster etcd, CancellationToken ct)
    {
        var probe = _probes.GetOrAdd(key, _ => new RealProbe());
        var running = etcd.Processes.Where(p => p.IsRunning).ToList();
        var asked = DateTimeOffset.UtcNow; // the answer reflects the membership at some instant after this
        MemberListResponse? list = null;
        foreach (var p in running)
        {
            try
            {
                list = await probe.Client(etcd, p.ClientUrl).MemberListAsync(new MemberListRequest(), deadline: DateTime.UtcNow.AddSeconds(1), cancellationToken: ct);
                break;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
            }
        }
        if (list is null) return _etcd.TryGetValue(key, out var last) ? last with { Members = last.Members.Select(m => m with { Healthy = false }).ToList() } : new EtcdView([], []);
        var members = new List<MemberView>();
        var alarms = new List<string>();
        foreach (var m in list.Members)
        {
            var healthy = false;
            var isRunning = m.ClientURLs.Count > 0 && running.Any(p => p.ClientUrl == m.ClientURLs[0]);
            if (!isRunning)
            {
                members.Add(new MemberView(m.Name, m.IsLearner, false));
                continue;
            }
            if (isRunning)
            {
                try
                {
                    var status = await probe.Client(etcd, m.ClientURLs[0]).StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(1), cancellationToken: ct);
                    healthy = status.Leader != 0;
                    if (status.Errors.Count > 0 && alarms.Count == 0) alarms.AddRange(status.Errors.Where(e => e.Contains("alarm:", StringComparison.Ordinal)));
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                }
            }
            var failures = probe.Failures.AddOrUpdate(m.ID, healthy ? 0 : 1, (_, n) => healthy ? 0 : n + 1);
            members.Add(new MemberView(m.Name, m.IsLearner, failures < RealProbeFailuresBeforeUnhealthy && (healthy || failures > 0)));
        }
        var byId = list.Members.ToDictionary(m => m.ID.ToString(), m => m.Name);
        var named = alarms.Select(a =>
        {
            var match = System.Text.RegularExpressions.Regex.Match(a, @"memberID:(\d+)\s+alarm:([A-Z]+)");
            if (!match.Success) return a.Trim();
            var id = match.Groups[1].Value;
            return $"{(byId.TryGetValue(id, out var n) ? n : id)}:{match.Groups[2].Value}";
        }).Order().ToList();
        return new EtcdView(members.OrderBy(m => m.Name, StringComparer.Ordinal).ToList(), named) { TakenAt = asked };
    }

    /// <summary>
    /// Of the etcd members that have no Machine (or Node of a Machine) now, those that are stale: never seen with a
    /// Machine, or last seen with one before the etcd view was read. A member whose Machine was still seen after
    /// the view was taken is not stale — etcd may have removed it since, and the next view will tell.
    /// </summary>
    public static IReadOnlyList<string> StaleMembers(IEnumerable<string> withoutMachine, IReadOnlyDictionary<string, DateTimeOffset> machineLastSeen, DateTimeOffset viewTakenAt) =>
        withoutMachine.Where(name => !machineLastSeen.TryGetValue(name, out var seen) || seen < viewTakenAt).ToList();

    private string ClusterOfMachine(JsonObject machine) =>
        Json.Str(machine, "metadata", "namespace") + "/" + (Json.Str(machine, "spec", "clusterName") ?? Json.Str(machine, "metadata", "labels", ManagementObjects.ClusterNameLabel));

    private void Evaluate(string cluster, bool force = false)
    {
        var slash = cluster.IndexOf('/');
        if (slash < 0) return;
        var ns = cluster[..slash];
        var name = cluster[(slash + 1)..];
        var machines = new List<JsonObject>();
        if (_machineKeys.TryGetValue(cluster, out var keys))
            foreach (var key in keys.Keys)
                if (_machines.Cache.TryGetValue(key, out var m)) machines.Add(m);
        var controlPlane = machines.Where(m => Json.At(m, "metadata", "labels", ManagementObjects.ControlPlaneLabel) is not null).ToList();
        var machineNames = new HashSet<string>(machines.Select(m => Json.Str(m, "metadata", "name")!), StringComparer.Ordinal);
        foreach (var m in machines) if (Json.Str(m, "status", "nodeRef", "name") is { } node) machineNames.Add(node);
        var etcd = _etcd.TryGetValue(cluster, out var view) ? view : new EtcdView([], []);
        var now = DateTimeOffset.UtcNow;
        var lastSeen = _lastSeen.GetOrAdd(cluster, _ => new ConcurrentDictionary<string, DateTimeOffset>(StringComparer.Ordinal));
        foreach (var n in machineNames) lastSeen[n] = now;
        var withoutMachine = etcd.Members.Where(m => m.Name.Length > 0 && !machineNames.Contains(m.Name)).Select(m => m.Name).ToList();
        var stale = StaleMembers(withoutMachine, lastSeen, etcd.TakenAt);
        if (withoutMachine.Count > stale.Count) _staleCandidates[cluster] = 0; else _staleCandidates.TryRemove(cluster, out _);
        var voters = etcd.Members.Where(m => !m.IsLearner).ToList();
        var missing = SecretSuffixes.Select(s => $"{name}-{s}").Where(s => !_secrets.Cache.ContainsKey(ns + "/" + s)).ToList();
        var snapshot = new ClusterInvariants(
            DateTimeOffset.UtcNow, cluster, controlPlane.Count, etcd.Members.Count, voters.Count, etcd.Members.Count - voters.Count,
            voters.Count(m => m.Healthy), SimulatedEtcdMembership.Quorum(voters.Count),
            stale,
            missing, etcd.Alarms);
        if (!force && snapshot.SameAs(Latest(cluster))) return;
        _latest[cluster] = snapshot;
        var history = _history.GetOrAdd(cluster, _ => []);
        lock (history)
        {
            history.Add(snapshot);
            if (history.Count > 10_000) history.RemoveRange(0, 1000);
        }
        if (etcd.Members.Count == 0) return; // etcd not observed yet
        Check(snapshot, InvariantKind.TooManyControlPlaneMachines, snapshot.ControlPlaneMachines > MaxControlPlaneMachines,
            $"{snapshot.ControlPlaneMachines} control-plane Machines exist, more than the {MaxControlPlaneMachines} allowed");
        Check(snapshot, InvariantKind.QuorumLost, !snapshot.HasQuorum,
            $"{snapshot.HealthyVoters} healthy of {snapshot.Voters} voting etcd members, quorum needs {snapshot.Quorum}");
        Check(snapshot, InvariantKind.StaleMember, snapshot.StaleMembers.Count > 0,
            $"etcd members without a Machine: {string.Join(", ", snapshot.StaleMembers)}");
        Check(snapshot, InvariantKind.MissingSecret, snapshot.MissingSecrets.Count > 0,
            $"secrets missing: {string.Join(", ", snapshot.MissingSecrets)}");
        Check(snapshot, InvariantKind.EtcdAlarm, snapshot.Alarms.Count > 0, $"etcd alarms: {string.Join(", ", snapshot.Alarms)}");
    }

    private void Check(ClusterInvariants snapshot, InvariantKind kind, bool broken, string message)
    {
        var key = (snapshot.Cluster, kind);
        if (!broken) { _open.TryRemove(key, out _); return; }
        if (!_open.TryAdd(key, true)) return;
        lock (_violations) _violations.Add(new InvariantViolation(snapshot.Time, snapshot.Cluster, kind, message + " — " + snapshot));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_poller is not null) { try { await _poller; } catch (OperationCanceledException) { } }
        foreach (var p in _probes.Values) p.Dispose();
    }

    private sealed record MemberView(string Name, bool IsLearner, bool Healthy);

    /// <summary>An etcd membership as read at <see cref="TakenAt"/> (not part of equality).</summary>
    private sealed record EtcdView(IReadOnlyList<MemberView> Members, IReadOnlyList<string> Alarms)
    {
        public DateTimeOffset TakenAt { get; init; } = DateTimeOffset.UtcNow;

        public bool Equals(EtcdView? other) => other is not null && Members.SequenceEqual(other.Members) && Alarms.SequenceEqual(other.Alarms);
        public override int GetHashCode() => Members.Count;
    }

    private sealed class RealProbe : IDisposable
    {
        private readonly ConcurrentDictionary<string, dotnet_etcd.EtcdClient> _clients = new(StringComparer.Ordinal);
        public ConcurrentDictionary<ulong, int> Failures { get; } = new();
        public dotnet_etcd.EtcdClient Client(EtcdCluster etcd, string url) => _clients.GetOrAdd(url, u => etcd.Connect(u));
        public void Dispose() { foreach (var c in _clients.Values) c.Dispose(); }
    }
}
