namespace CapiUpgrade.Simulator.Faults;

/// <summary>What the faults act on (implemented by the fleet).</summary>
public interface IFaultTargets
{
    /// <summary>Applies a fault's immediate effect (stop a member, add an API fault rule...); throws with a readable message when the target does not exist.</summary>
    Task ApplyAsync(FaultSpec fault, bool active, CancellationToken cancellationToken);
}

/// <summary>
/// The faults active in a fleet, switchable at run time. Controllers consult <see cref="Has"/> for the
/// faults they honour (provisioning, Node/static pod readiness, drain); etcd and API faults take effect
/// through <see cref="IFaultTargets"/> immediately.
/// </summary>
public sealed class FleetFaults
{
    private readonly List<FaultSpec> _active = [];
    private IFaultTargets? _targets;

    /// <summary>Raised after a fault is injected (true) or cleared (false).</summary>
    public event Action<FaultSpec, bool>? Changed;

    public IReadOnlyList<FaultSpec> Active { get { lock (_active) return [.. _active]; } }

    internal void Attach(IFaultTargets targets) => _targets = targets;

    public async Task InjectAsync(FaultSpec fault, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(fault.Cluster))
            throw new ArgumentException($"fault {fault.Kind}: set Cluster to a workload cluster as namespace/name (or \"management\" for API faults).", nameof(fault));
        if (_targets is not null) await _targets.ApplyAsync(fault, true, cancellationToken);
        lock (_active) { _active.Remove(fault); _active.Add(fault); }
        Changed?.Invoke(fault, true);
    }

    /// <summary>Clears the faults matching <paramref name="match"/> (all when null); returns them.</summary>
    public async Task<IReadOnlyList<FaultSpec>> ClearAsync(Func<FaultSpec, bool>? match = null, CancellationToken cancellationToken = default)
    {
        List<FaultSpec> cleared;
        lock (_active)
        {
            cleared = _active.Where(f => match?.Invoke(f) ?? true).ToList();
            _active.RemoveAll(cleared.Contains);
        }
        foreach (var fault in cleared)
        {
            if (_targets is not null) await _targets.ApplyAsync(fault, false, cancellationToken);
            Changed?.Invoke(fault, false);
        }
        return cleared;
    }

    public Task<IReadOnlyList<FaultSpec>> ClearAsync(FaultSpec fault, CancellationToken cancellationToken = default) =>
        ClearAsync(f => f.Kind == fault.Kind && f.Cluster == fault.Cluster && (fault.Machine is null || f.Machine == fault.Machine)
            && (fault.Member is null || f.Member == fault.Member), cancellationToken);

    /// <summary>The active fault of <paramref name="kind"/> that applies to the Machine, if any.</summary>
    public FaultSpec? Find(FaultKind kind, string cluster, string? machine)
    {
        lock (_active) return _active.LastOrDefault(f => f.Kind == kind && f.AppliesTo(cluster, machine));
    }

    public bool Has(FaultKind kind, string cluster, string? machine) => Find(kind, cluster, machine) is not null;
}
