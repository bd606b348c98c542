using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Hosting;
using CapiUpgrade.Core.Campaigns;
using CapiUpgrade.Core.Errors;
using CapiUpgrade.Service.Commands;
using CapiUpgrade.Service.Fleet;
using CapiUpgrade.Service.ReadModel;
using Microsoft.Extensions.Logging;

namespace CapiUpgrade.Service.Campaigns;

/// <summary><c>campaign plan|start|list|show|pause|resume|abort|approve|skip|tail</c>.</summary>
public sealed class CampaignPalette(
    FleetView view,
    ReadModelProjection projection,
    FleetFacts facts,
    EtcdProbe etcd,
    IRequiredActor<CampaignRegion> region,
    ILogger<CampaignPalette> logger) : IPaletteHandler
{
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    public string Palette => "campaign";

    public async Task<CommandResult> ExecuteAsync(CommandInvocation invocation, CancellationToken cancellationToken)
    {
        await projection.CaughtUp.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        switch (invocation.Spec.Name)
        {
            case "plan":
            {
                var (_, plan) = await PlanAsync(invocation.Required("file"), cancellationToken, checkEtcd: true);
                return new CommandResult(CommandJson.ToNode(PlanData(plan)), PlanView(plan, "plan of campaign " + plan.CampaignId + " (nothing was written)"));
            }
            case "start":
            {
                var (_, plan) = await PlanAsync(invocation.Required("file"), cancellationToken);
                var errors = plan.Findings.Where(f => f.IsError && plan.Clusters.All(c => !c.Findings.Contains(f))).ToList();
                if (errors.Count > 0)
                    throw new CommandException($"campaign {plan.CampaignId} cannot start: {string.Join("; ", errors.Select(e => e.Message))}");
                if (plan.ClusterCount == 0)
                    throw new CommandException($"campaign {plan.CampaignId} cannot start: no cluster is in any wave (see `campaign plan`)");
                var message = await SendAsync(new CampaignProtocol.StartCampaign(plan.CampaignId, plan, invocation.User), cancellationToken);
                logger.LogInformation("campaign {Campaign} started by {User}: {Clusters} cluster(s) in {Waves} wave(s) to {Target}",
                    plan.CampaignId, invocation.User, plan.ClusterCount, plan.Waves.Count, plan.TargetVersion);
                var shown = PlanView(plan, message);
                return new CommandResult(CommandJson.ToNode(new { campaign = plan.CampaignId, started = true, plan = PlanData(plan) }), shown);
            }
            case "list":
                return List();
            case "show":
                return Show(invocation.Required("campaign"));
            case "pause":
                return Done(await SendAsync(new CampaignProtocol.PauseCampaign(invocation.Required("campaign"), invocation.User, invocation.Optional("reason") ?? $"paused by {invocation.User}"), cancellationToken), invocation);
            case "resume":
                return Done(await SendAsync(new CampaignProtocol.ResumeCampaign(invocation.Required("campaign"), invocation.User, invocation.Optional("accept-failures") == "true"), cancellationToken), invocation);
            case "abort":
                return Done(await SendAsync(new CampaignProtocol.AbortCampaign(invocation.Required("campaign"), invocation.User, invocation.Optional("reason") ?? $"aborted by {invocation.User}"), cancellationToken), invocation);
            case "approve":
            {
                int? wave = invocation.Optional("wave") is { } w ? int.TryParse(w, out var n) ? n : throw new CommandException($"--wave {w}: expected a wave number (0, 1, ...)") : null;
                return Done(await SendAsync(new CampaignProtocol.ApproveWave(invocation.Required("campaign"), invocation.User, wave), cancellationToken), invocation);
            }
            case "skip":
            {
                var cluster = Upgrades.Clusters.Parse(invocation.Required("cluster")).EntityId;
                return Done(await SendAsync(new CampaignProtocol.SkipCluster(invocation.Required("campaign"), cluster, invocation.User), cancellationToken), invocation);
            }
            case "skip-soak":
                return Done(await SendAsync(new CampaignProtocol.SkipSoak(invocation.Required("campaign"), invocation.User), cancellationToken), invocation);
            default:
                throw new CommandException($"campaign {invocation.Spec.Name} is not implemented", 501);
        }
    }

    public async IAsyncEnumerable<StreamItem> StreamAsync(CommandInvocation invocation, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await projection.CaughtUp.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        var id = invocation.Required("campaign");
        var known = view.Campaign(id) ?? throw new CommandException($"no campaign '{id}': `campaign list` shows the known ones", 404);
        using var subscription = view.Subscribe(e => e.CampaignId == id || (e.Stream == EventLine.UpgradeStream && view.Upgrade(e.Key)?.CampaignId == id));
        foreach (var line in known.LastEvents.TakeLast(10))
            yield return new StreamItem(CommandJson.ToNode(line), line.Format());
        await foreach (var line in subscription.Reader.ReadAllAsync(cancellationToken))
            yield return new StreamItem(CommandJson.ToNode(line), line.Format());
    }

    /// <summary>
    /// Resolves the spec against the fleet. With <paramref name="checkEtcd"/> (`plan`) the clusters it would
    /// upgrade also get the etcd preflight; `start` leaves that to the engine, which checks etcd before every
    /// step and pauses a cluster whose etcd is unhealthy, so a blip at start time excludes nobody for good.
    /// </summary>
    private async Task<(CampaignSpec Spec, CampaignPlan Plan)> PlanAsync(string yaml, CancellationToken cancellationToken, bool checkEtcd = false)
    {
        CampaignSpec spec;
        try
        {
            spec = CampaignSpecParser.Parse(yaml, "campaign spec");
        }
        catch (ValidationException e)
        {
            throw new CommandException("the campaign spec is not valid:\n  " + string.Join("\n  ", e.Findings.Select(f => f.Message)));
        }
        var fleet = await facts.ReadAsync(cancellationToken);
        var plan = CampaignPlanner.Plan(spec, fleet);
        if (!checkEtcd) return (spec, plan);
        // The etcd preflight costs a connection per cluster: only for the clusters the plan would upgrade.
        var included = plan.Included.Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
        var probed = await etcd.CheckAsync(fleet, c => included.Contains(c.Key.ToString()), cancellationToken);
        return (spec, CampaignPlanner.Plan(spec, probed));
    }

    private async Task<string> SendAsync(ICampaignMessage message, CancellationToken cancellationToken)
    {
        var actor = await region.GetAsync(cancellationToken);
        var seen = view.Campaign(message.CampaignId)?.EventCount ?? 0;
        object reply;
        try
        {
            reply = await actor.Ask<object>(message, AskTimeout, cancellationToken);
        }
        catch (AskTimeoutException)
        {
            throw new CommandException($"campaign {message.CampaignId} did not answer within {AskTimeout.TotalSeconds:0}s; try again and check the service log", 503);
        }
        if (reply is CampaignReplies.Accepted { Message: var m } && !m.EndsWith("(nothing changed)", StringComparison.Ordinal))
        {
            // Answer once the read model shows it, so a `show` right after sees the change.
            for (var i = 0; i < 60 && (view.Campaign(message.CampaignId)?.EventCount ?? 0) <= seen; i++)
                await Task.Delay(50, cancellationToken);
        }
        return reply switch
        {
            CampaignReplies.Accepted ok => ok.Message,
            CampaignReplies.Rejected no => throw new CommandException($"refused: {no.Reason}", 409),
            _ => throw new CommandException($"campaign {message.CampaignId}: unexpected answer {reply.GetType().Name}", 500),
        };
    }

    private static CommandResult Done(string message, CommandInvocation invocation) =>
        new(CommandJson.ToNode(new { campaign = invocation.Optional("campaign"), accepted = true, message }), Views.Message(message));

    private CommandResult List()
    {
        var campaigns = view.Campaigns();
        var rows = campaigns.Select(c => (IReadOnlyList<string>)
        [
            c.CampaignId, c.Phase, Views.Or(c.TargetVersion),
            c.CurrentWave is { } w ? $"{w + 1}/{c.Waves.Count}" : $"-/{c.Waves.Count}",
            $"{c.Clusters.Count(x => x.State == "Succeeded")}/{c.Clusters.Count}",
            $"{c.FailureCount}/{c.FailureBudget}", Views.Time(c.StartedAt), Views.Or(c.PauseReason, ""),
        ]).ToList();
        return new CommandResult(CommandJson.ToNode(campaigns.Select(c => c with { LastEvents = [], Clusters = [] })), new CommandView
        {
            Tables = [new ViewTable(null, ["CAMPAIGN", "PHASE", "TARGET", "WAVE", "DONE", "FAILURES/BUDGET", "STARTED", "REASON"], rows)],
            Message = campaigns.Count == 0 ? "no campaigns" : $"{campaigns.Count} campaign(s)",
        });
    }

    private CommandResult Show(string id)
    {
        var c = view.Campaign(id) ?? throw new CommandException($"no campaign '{id}': `campaign list` shows the known ones", 404);
        var now = DateTimeOffset.UtcNow;
        var explain = c.State is CampaignState s ? CampaignStateMachine.Explain(s, now) : [];
        var upgrades = c.Clusters.Select(x => view.Upgrade(x.Cluster)).ToList();
        return new CommandResult(CommandJson.ToNode(c with { }), new CommandView
        {
            Title = $"campaign {c.CampaignId}: {c.Phase}, to {Views.Or(c.TargetVersion)}",
            Fields =
            [
                new("started", $"{Views.Time(c.StartedAt)} by {Views.Or(c.StartedBy)}"),
                new("finished", Views.Time(c.FinishedAt)),
                new("failures", $"{c.FailureCount} (budget {c.FailureBudget})"),
                new("pause reason", Views.Or(c.PauseReason)),
                new("now", explain.Count == 0 ? "-" : string.Join("; ", explain)),
            ],
            Tables =
            [
                new ViewTable("waves", ["#", "WAVE", "PHASE", "CLUSTERS", "MAX CONCURRENT", "APPROVAL", "SOAK UNTIL"],
                    c.Waves.Select(w => (IReadOnlyList<string>)[w.Index.ToString(), w.Name, w.State, w.Clusters.ToString(), w.MaxConcurrent.ToString(),
                        w.ApprovalRequired ? w.ApprovedBy is null ? "required" : $"approved by {w.ApprovedBy}" : "-", Views.Time(w.SoakUntil)]).ToList()),
                new ViewTable("clusters", ["CLUSTER", "WAVE", "STATE", "UPGRADE", "PHASE", "STEP", "REASON"],
                    c.Clusters.Zip(upgrades, (First, Second) => (First, Second)).Select(p => (IReadOnlyList<string>)[p.First.Cluster, p.First.Wave.ToString(), p.First.State, Views.Or(p.First.UpgradeId),
                        p.Second?.Phase ?? "-", Views.Or(p.Second?.Step), Views.Or(p.First.Reason ?? p.Second?.PauseReason, "")]).ToList()),
                new ViewTable("excluded by preflight", ["CLUSTER: REASON"], c.Excluded.Select(x => (IReadOnlyList<string>)[x]).ToList()),
                new ViewTable("operator actions", ["WHEN", "ACTION", "BY", "DETAIL"],
                    c.Actions.Select(a => (IReadOnlyList<string>)[Views.Time(a.At), a.Action, a.By, Views.Or(a.Reason, "")]).ToList()),
                new ViewTable("last events", ["WHEN", "EVENT", "DETAIL"],
                    c.LastEvents.TakeLast(15).Select(e => (IReadOnlyList<string>)[Views.Time(e.At), e.Type, e.Text]).ToList()),
            ],
        });
    }

    private static object PlanData(CampaignPlan plan) => new
    {
        campaign = plan.CampaignId,
        targetVersion = plan.TargetVersion.ToString(),
        failureBudget = plan.FailureBudget,
        clusterTimeout = plan.ClusterTimeout?.ToString(),
        waves = plan.Waves.Select(w => new { w.Index, w.Name, w.Clusters, w.MaxConcurrent, soak = w.Soak.ToString(), w.RequiresApproval }),
        clusters = plan.Clusters.Select(c => new { cluster = c.Key, c.CurrentVersion, exclusion = c.Exclusion.ToString(), c.Wave, c.MaintenanceWindow, c.Hops, findings = c.Findings.Select(f => f.ToString()) }),
        findings = plan.Findings.Select(f => f.ToString()),
    };

    private static CommandView PlanView(CampaignPlan plan, string title) => new()
    {
        Title = title,
        Fields =
        [
            new("target", plan.TargetVersion.ToString()),
            new("clusters", $"{plan.ClusterCount} in {plan.Waves.Count} wave(s), {plan.Excluded.Count()} excluded"),
            new("failure budget", plan.FailureBudget.ToString()),
            new("cluster timeout", plan.ClusterTimeout?.ToString() ?? "-"),
        ],
        Tables =
        [
            new ViewTable("waves", ["#", "WAVE", "CLUSTERS", "MAX CONCURRENT", "SOAK", "APPROVAL"],
                plan.Waves.Select(w => (IReadOnlyList<string>)[w.Index.ToString(), w.Name, w.Clusters.Count == 0 ? "-" : string.Join(", ", w.Clusters), w.MaxConcurrent.ToString(), w.Soak.ToString(), w.RequiresApproval ? "required" : "-"]).ToList()),
            new ViewTable("preflight", ["CLUSTER", "VERSION", "WAVE", "HOPS", "RESULT", "FINDINGS"],
                plan.Clusters.Select(c => (IReadOnlyList<string>)[c.Key, Views.Or(c.CurrentVersion), c.Wave?.ToString() ?? "-", c.Hops.ToString(),
                    c.Included ? "ok" : "excluded: " + c.Exclusion, string.Join("; ", c.Findings.Where(f => f.Severity != FindingSeverity.Info).Select(f => f.Message))]).ToList()),
            new ViewTable("findings", ["SEVERITY", "FINDING"],
                plan.Findings.Where(f => plan.Clusters.All(c => !c.Findings.Contains(f))).Select(f => (IReadOnlyList<string>)[f.Severity.ToString(), f.Message]).ToList()),
        ],
    };
}
