using CapiUpgrade.Actors.Execution;
using CapiUpgrade.Core.Upgrades;

namespace CapiUpgrade.Actors.ClusterUpgrade;

/// <summary>Parent → child: run this step's side effect. ExecutionId tells a late answer from the current one.</summary>
internal sealed record RunStep(long ExecutionId, StepRequest Request, CancellationToken CancellationToken);

/// <summary>Child → parent: the step's side effect finished with this outcome.</summary>
internal sealed record StepFinished(long ExecutionId, StepRef Step, StepOutcome Outcome);
