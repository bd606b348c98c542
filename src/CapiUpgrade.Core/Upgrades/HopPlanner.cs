namespace CapiUpgrade.Core.Upgrades;

/// <summary>
/// Turns an observation into the list of Machines one hop must replace, each at the stage the observation
/// proves it has reached — so a rerun after a lost journal continues instead of starting over (rule 8).
/// Every step is idempotent, so a Machine that may be half-way is planned from the last stage that is certain.
/// </summary>
public static class HopPlanner
{
    public static string NormalizeVersion(string version) =>
        version.StartsWith('v') || version.StartsWith('V') ? "v" + version[1..] : "v" + version;

    public static bool SameVersion(string a, string b) =>
        string.Equals(NormalizeVersion(a), NormalizeVersion(b), StringComparison.OrdinalIgnoreCase);

    /// <summary>The old Machines of the hop to <paramref name="hopVersion"/>, in the order they are replaced.</summary>
    public static IReadOnlyList<MachineReplacement> Plan(ControlPlaneObservation observation, string hopVersion)
    {
        var plan = new List<MachineReplacement>();
        foreach (var machine in observation.Machines)
        {
            if (SameVersion(machine.Version, hopVersion)) continue; // at the hop's version: a replacement or already upgraded
            var replacement = observation.Machines.FirstOrDefault(r => r.ReplacementFor == machine.Name && SameVersion(r.Version, hopVersion));
            var stage = machine switch
            {
                // Ours, half-way through removal: the hook holds it; leader move and member removal are idempotent.
                { Deleting: true, HasUpgradeHook: true } => ReplacementStage.OldMachineDeleting,
                // Being deleted without our hook (hook released already, or someone else): only wait until gone.
                { Deleting: true } => ReplacementStage.HookReleased,
                // Not deleting: restart at the hook; adding it and create-or-get of the replacement are idempotent.
                _ => ReplacementStage.Pending,
            };
            plan.Add(new MachineReplacement(machine.Name, machine.NodeName, machine.IsInitMachine, stage, replacement?.Name));
        }
        // Finish what is half-way first; then the others by name; the init Machine last keeps the secrets' owner longest.
        return plan
            .OrderBy(m => m.Stage == ReplacementStage.Pending ? 1 : 0)
            .ThenBy(m => m.IsInitMachine ? 1 : 0)
            .ThenBy(m => m.OldMachine, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Control-plane Machines that count toward its size (not being deleted, not our replacements).</summary>
    public static int ControlPlaneSize(ControlPlaneObservation observation) =>
        observation.Machines.Count(m => !m.Deleting && (m.ReplacementFor is null || observation.Machines.All(o => o.Name != m.ReplacementFor)));
}
