namespace CapiUpgrade.Core.Upgrades;

/// <summary>How far the replacement of one old control-plane Machine has come (in step order).</summary>
public enum ReplacementStage
{
    Pending,
    HookAdded,
    ReplacementCreated,
    ReplacementReady,
    OldMachineDeleting,
    HeldByHook,
    LeaderMoved,
    MemberRemoved,
    SecretsReowned,
    HookReleased,
    Done,
    /// <summary>The replacement did not become Ready in time; `resume` waits again, `retry` removes it and creates it again.</summary>
    ReplacementFailed,
    /// <summary>`retry` asked to delete the failed replacement (and its etcd member) before creating it again.</summary>
    RemovingFailedReplacement,
}

/// <summary>The plan and progress for one old control-plane Machine within one hop.</summary>
/// <param name="OldMachine">Name of the Machine being replaced.</param>
/// <param name="OldNode">Its Node name = its etcd member name.</param>
/// <param name="IsInitMachine">Its KubeadmConfig owns the certificate secrets.</param>
/// <param name="Stage">Progress.</param>
/// <param name="Replacement">Name of the replacement Machine once created (deterministic from the upgrade id).</param>
/// <param name="ReplacementNode">The replacement's Node name once Ready.</param>
public sealed record MachineReplacement(
    string OldMachine,
    string? OldNode,
    bool IsInitMachine,
    ReplacementStage Stage = ReplacementStage.Pending,
    string? Replacement = null,
    string? ReplacementNode = null)
{
    public bool IsDone => Stage == ReplacementStage.Done;

    /// <summary>A replacement Machine exists (or may exist) besides the old one: the surge is in use.</summary>
    public bool SurgeInUse => Stage is >= ReplacementStage.ReplacementCreated and < ReplacementStage.Done
        or ReplacementStage.ReplacementFailed or ReplacementStage.RemovingFailedReplacement;

    /// <summary>The step that moves this Machine on, or null when done.</summary>
    public UpgradeStep? NextStep => Stage switch
    {
        ReplacementStage.Pending => UpgradeStep.AddPreTerminateHook,
        ReplacementStage.HookAdded => UpgradeStep.CreateReplacement,
        ReplacementStage.ReplacementCreated => UpgradeStep.AwaitReplacementReady,
        ReplacementStage.ReplacementReady => UpgradeStep.DeleteOldMachine,
        ReplacementStage.OldMachineDeleting => UpgradeStep.AwaitPreTerminateHold,
        ReplacementStage.HeldByHook => UpgradeStep.MoveEtcdLeader,
        ReplacementStage.LeaderMoved => UpgradeStep.RemoveEtcdMember,
        ReplacementStage.MemberRemoved => IsInitMachine ? UpgradeStep.ReownCertificateSecrets : UpgradeStep.ReleasePreTerminateHook,
        ReplacementStage.SecretsReowned => UpgradeStep.ReleasePreTerminateHook,
        ReplacementStage.HookReleased => UpgradeStep.AwaitOldMachineGone,
        ReplacementStage.ReplacementFailed => UpgradeStep.AwaitReplacementReady,
        ReplacementStage.RemovingFailedReplacement => UpgradeStep.RemoveFailedReplacement,
        _ => null,
    };

    /// <summary>The stage after <paramref name="step"/> succeeded on this Machine.</summary>
    public ReplacementStage StageAfter(UpgradeStep step) => step switch
    {
        UpgradeStep.AddPreTerminateHook => ReplacementStage.HookAdded,
        UpgradeStep.CreateReplacement => ReplacementStage.ReplacementCreated,
        UpgradeStep.AwaitReplacementReady => ReplacementStage.ReplacementReady,
        UpgradeStep.DeleteOldMachine => ReplacementStage.OldMachineDeleting,
        UpgradeStep.AwaitPreTerminateHold => ReplacementStage.HeldByHook,
        UpgradeStep.MoveEtcdLeader => ReplacementStage.LeaderMoved,
        UpgradeStep.RemoveEtcdMember => ReplacementStage.MemberRemoved,
        UpgradeStep.ReownCertificateSecrets => ReplacementStage.SecretsReowned,
        // Releasing the hook of a Machine that is not being deleted undoes AddPreTerminateHook (abort).
        UpgradeStep.ReleasePreTerminateHook => Stage == ReplacementStage.HookAdded ? ReplacementStage.Pending : ReplacementStage.HookReleased,
        UpgradeStep.AwaitOldMachineGone => ReplacementStage.Done,
        UpgradeStep.RemoveFailedReplacement => ReplacementStage.HookAdded,
        _ => Stage,
    };
}
