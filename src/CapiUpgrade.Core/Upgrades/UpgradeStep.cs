namespace CapiUpgrade.Core.Upgrades;

/// <summary>
/// The steps of the seed's sequence (DESIGN §1), made quorum-safe (DESIGN §4). Steps without a Machine
/// are per hop or per upgrade; the others run once per old control-plane Machine, in this order.
/// </summary>
public enum UpgradeStep
{
    /// <summary>Read-only: observe Machines, Nodes and etcd, plan the hop, find blockers and refusals.</summary>
    Preflight,
    /// <summary>Annotate the Cluster with our upgrade id (rule 10), preconditioned on resourceVersion.</summary>
    ClaimCluster,
    /// <summary>Remove etcd members with no Machine and no Node, when quorum-safe (rule 11).</summary>
    RemoveStaleMembers,
    /// <summary>kubeadm-config kubernetesVersion (and apiEndpoints), kubelet ConfigMap and its RBAC for the hop's minor.</summary>
    UpdateClusterConfig,

    /// <summary>Put our pre-terminate hook on the old Machine (rule 4).</summary>
    AddPreTerminateHook,
    /// <summary>Clone infra and bootstrap, create the replacement Machine at the hop's version (create-or-get).</summary>
    CreateReplacement,
    /// <summary>Wait for its Node Ready, static pods Ready and its etcd member promoted and healthy.</summary>
    AwaitReplacementReady,
    /// <summary>Delete the old Machine; Cluster API drains it and then waits on our hook.</summary>
    DeleteOldMachine,
    /// <summary>Wait until Cluster API holds the deleting Machine on our pre-terminate hook.</summary>
    AwaitPreTerminateHold,
    /// <summary>Move etcd leadership away from the old member (to a healthy voter).</summary>
    MoveEtcdLeader,
    /// <summary>Remove the old etcd member, only if the healthy voters left keep quorum; "not found" is success.</summary>
    RemoveEtcdMember,
    /// <summary>The old Machine's KubeadmConfig was the init config: move the certificate secrets' ownership to the Cluster (rule 9).</summary>
    ReownCertificateSecrets,
    /// <summary>Take our hook off; Cluster API deletes infra, bootstrap and Node.</summary>
    ReleasePreTerminateHook,
    /// <summary>Wait until the old Machine is gone.</summary>
    AwaitOldMachineGone,
    /// <summary>`retry` after a failed replacement: delete it, remove its etcd member if it joined, wait until gone.</summary>
    RemoveFailedReplacement,

    /// <summary>Take the claim annotation off the Cluster.</summary>
    ReleaseClaim,
}

public static class UpgradeStepExtensions
{
    /// <summary>True for steps that run once per old Machine.</summary>
    public static bool IsPerMachine(this UpgradeStep step) =>
        step is >= UpgradeStep.AddPreTerminateHook and <= UpgradeStep.RemoveFailedReplacement;

    /// <summary>True for steps that only wait for something to happen (they do not write).</summary>
    public static bool IsWait(this UpgradeStep step) =>
        step is UpgradeStep.AwaitReplacementReady or UpgradeStep.AwaitPreTerminateHold or UpgradeStep.AwaitOldMachineGone
            or UpgradeStep.Preflight;
}
