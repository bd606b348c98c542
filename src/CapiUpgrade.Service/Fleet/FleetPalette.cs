using System.Runtime.CompilerServices;
using CapiUpgrade.Core.Campaigns;
using CapiUpgrade.Core.Versions;
using CapiUpgrade.Service.Commands;

namespace CapiUpgrade.Service.Fleet;

/// <summary><c>fleet versions|preflight</c>: what the management clusters hold, and what a campaign to a version would find.</summary>
public sealed class FleetPalette(FleetFacts facts, EtcdProbe etcd) : IPaletteHandler
{
    public string Palette => "fleet";

    public async Task<CommandResult> ExecuteAsync(CommandInvocation invocation, CancellationToken cancellationToken)
    {
        var ns = invocation.Optional("namespace");
        var selector = invocation.Optional("selector");
        LabelSelector labels;
        try
        {
            labels = selector is null ? LabelSelector.Everything : LabelSelector.Parse(selector);
        }
        catch (FormatException e)
        {
            throw new CommandException($"--selector {selector}: {e.Message}");
        }
        var fleet = (await facts.ReadAsync(cancellationToken))
            .Where(c => (ns is null || c.Key.Namespace == ns) && labels.Matches(c.Labels))
            .OrderBy(c => c.Key).ToList();
        switch (invocation.Spec.Name)
        {
            case "versions":
            {
                var rows = fleet.Select(c => (IReadOnlyList<string>)
                [
                    c.Key.ToString(), c.CurrentVersion?.ToString() ?? "?",
                    c.ControlPlaneVersions.Distinct().Count() > 1 ? "mixed: " + string.Join(", ", c.ControlPlaneVersions.GroupBy(v => v).Select(g => $"{g.Key} ×{g.Count()}")) : c.ControlPlaneReplicas.ToString(),
                    c.Paused ? "paused" : "-",
                ]).ToList();
                var data = fleet.Select(c => new { cluster = c.Key.ToString(), version = c.CurrentVersion?.ToString(), controlPlane = c.ControlPlaneVersions.Select(v => v.ToString()), c.Paused, c.Labels });
                return new CommandResult(CommandJson.ToNode(data), new CommandView
                {
                    Tables = [new ViewTable(null, ["CLUSTER", "CONTROL PLANE", "MACHINES", "PAUSED"], rows)],
                    Message = $"{fleet.Count} cluster(s); versions: {string.Join(", ", fleet.GroupBy(c => c.CurrentVersion?.ToString() ?? "?").OrderBy(g => g.Key).Select(g => $"{g.Key} ×{g.Count()}"))}",
                });
            }
            case "preflight":
            {
                var target = invocation.Required("to");
                if (!KubernetesVersion.TryParse(target, out _, out var error))
                    throw new CommandException($"--to {target}: {error}");
                CampaignSpec spec;
                try
                {
                    spec = CampaignSpecParser.Parse($"name: preflight\ntargetVersion: {target}\n", "fleet preflight");
                }
                catch (Core.Errors.ValidationException e)
                {
                    throw new CommandException(string.Join("; ", e.Findings.Select(f => f.Message)));
                }
                // etcd is asked only where the other checks pass: the rest is excluded anyway.
                var checkedFleet = await etcd.CheckAsync(fleet, c => CampaignPlanner.Preflight(spec, c).Included, cancellationToken);
                var results = checkedFleet.Select(c => CampaignPlanner.Preflight(spec, c)).ToList();
                var rows = results.Select(r => (IReadOnlyList<string>)[r.Key, r.CurrentVersion ?? "?", r.Hops.ToString(), r.Included ? "ok" : r.Exclusion.ToString(),
                    string.Join("; ", r.Findings.Where(f => f.Severity != Core.Errors.FindingSeverity.Info).Select(f => f.Message))]).ToList();
                return new CommandResult(CommandJson.ToNode(results.Select(r => new { cluster = r.Key, version = r.CurrentVersion, r.Hops, result = r.Included ? "ok" : r.Exclusion.ToString(), findings = r.Findings.Select(f => f.ToString()) })),
                    new CommandView
                    {
                        Title = $"preflight for an upgrade to {target}",
                        Tables = [new ViewTable(null, ["CLUSTER", "VERSION", "HOPS", "RESULT", "FINDINGS"], rows)],
                        Message = $"{results.Count(r => r.Included)} of {results.Count} cluster(s) can be upgraded",
                    });
            }
            default:
                throw new CommandException($"fleet {invocation.Spec.Name} is not implemented", 501);
        }
    }

    public async IAsyncEnumerable<StreamItem> StreamAsync(CommandInvocation invocation, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        yield break;
    }
}
