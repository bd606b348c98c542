namespace CapiUpgrade.Service.Commands;

public enum ArgumentKind
{
    /// <summary>By position, in declaration order.</summary>
    Positional,
    /// <summary><c>--name value</c>.</summary>
    Option,
    /// <summary><c>--name</c>, value "true".</summary>
    Flag,
}

/// <param name="IsFile">The client reads the named file and sends its content.</param>
public sealed record ArgumentSpec(string Name, ArgumentKind Kind, string Description, bool Required = false, bool IsFile = false);

public sealed record CommandSpec(string Palette, string Name, string Description, IReadOnlyList<ArgumentSpec> Arguments, bool Streams = false)
{
    public string Usage => $"{Palette} {Name}" + string.Concat(Arguments.Select(a => a.Kind switch
    {
        ArgumentKind.Positional => a.Required ? $" {a.Name.ToUpperInvariant()}" : $" [{a.Name.ToUpperInvariant()}]",
        ArgumentKind.Option => a.Required ? $" --{a.Name} VALUE" : $" [--{a.Name} VALUE]",
        _ => $" [--{a.Name}]",
    }));
}

public sealed record PaletteSpec(string Name, string Description, IReadOnlyList<CommandSpec> Commands);

/// <summary>
/// Every palette and command of the operator protocol (DESIGN §5), shared by the service (which
/// validates and dispatches) and the client (which parses, reads files and prints help).
/// </summary>
public static class CommandCatalog
{
    private static ArgumentSpec Cluster(string what = "the cluster: [MANAGEMENT/]NAMESPACE/NAME") => new("cluster", ArgumentKind.Positional, what, Required: true);
    private static ArgumentSpec Campaign() => new("campaign", ArgumentKind.Positional, "the campaign id", Required: true);
    private static ArgumentSpec Reason() => new("reason", ArgumentKind.Option, "why, recorded with who and when");

    public static readonly IReadOnlyList<PaletteSpec> Palettes =
    [
        new("campaign", "fleet-wide upgrades in waves: plan, start and steer them",
        [
            new("campaign", "plan", "resolve a campaign spec into waves and run the preflight checks; writes nothing",
                [new("file", ArgumentKind.Positional, "campaign spec (YAML)", Required: true, IsFile: true)]),
            new("campaign", "start", "start a campaign from its spec",
                [new("file", ArgumentKind.Positional, "campaign spec (YAML)", Required: true, IsFile: true)]),
            new("campaign", "list", "every campaign with its phase and progress", []),
            new("campaign", "show", "a campaign: waves, clusters, failures, history", [Campaign()]),
            new("campaign", "pause", "stop starting new cluster upgrades (running ones go on)", [Campaign(), Reason()]),
            new("campaign", "resume", "go on after a pause or an auto-pause",
                [Campaign(), new("accept-failures", ArgumentKind.Flag, "count the failures so far as accepted (after an auto-pause)"), Reason()]),
            new("campaign", "abort", "start nothing more and abort the running cluster upgrades", [Campaign(), Reason()]),
            new("campaign", "approve", "pass the approval gate of the waiting wave (or of --wave N in advance)",
                [Campaign(), new("wave", ArgumentKind.Option, "the wave number (0 is the first)"), Reason()]),
            new("campaign", "skip", "leave a cluster out of the campaign", [Campaign(), Cluster("the cluster to skip: [MANAGEMENT/]NAMESPACE/NAME"), Reason()]),
            new("campaign", "skip-soak", "end the soak of the wave that finished now, and go on to the next wave", [Campaign(), Reason()]),
            new("campaign", "tail", "stream a campaign's events until Ctrl-C", [Campaign()], Streams: true),
        ]),
        new("upgrade", "cluster upgrades: what every upgrade is doing, and steering one",
        [
            new("upgrade", "list", "every cluster upgrade with phase, step and versions",
                [new("phase", ArgumentKind.Option, "only upgrades in this phase"), new("campaign", ArgumentKind.Option, "only upgrades of this campaign")]),
            new("upgrade", "show", "one cluster's upgrade: step, versions, Machines replaced, last events", [Cluster()]),
            new("upgrade", "events", "a cluster's upgrade events, oldest first",
                [Cluster(), new("limit", ArgumentKind.Option, "at most this many (the newest); default 100")]),
            new("upgrade", "tail", "stream upgrade events until Ctrl-C (one cluster, or all)",
                [new("cluster", ArgumentKind.Positional, "the cluster; all clusters when omitted")], Streams: true),
            new("upgrade", "pause", "pause a cluster's upgrade after its current step", [Cluster(), Reason()]),
            new("upgrade", "resume", "resume a paused upgrade", [Cluster(), Reason()]),
            new("upgrade", "retry", "clean a failed replacement and go on", [Cluster(), Reason()]),
            new("upgrade", "abort", "finish or undo the in-flight replacement, then stop and release the claim", [Cluster(), Reason()]),
        ]),
        new("etcd", "a cluster's etcd, as the upgrader sees it",
        [
            new("etcd", "health", "per-member health, leader and alarms", [Cluster()]),
            new("etcd", "members", "members with their role (voter or learner) and URLs", [Cluster()]),
        ]),
        new("fleet", "the clusters of the management cluster(s)",
        [
            new("fleet", "versions", "every cluster's control-plane and kubelet versions",
                [new("namespace", ArgumentKind.Option, "only this namespace"), new("selector", ArgumentKind.Option, "label selector, e.g. env=prod")]),
            new("fleet", "preflight", "preflight checks for an upgrade to a version, per cluster",
                [new("to", ArgumentKind.Option, "target version, e.g. v1.30.2", Required: true),
                 new("namespace", ArgumentKind.Option, "only this namespace"), new("selector", ArgumentKind.Option, "label selector, e.g. env=prod")]),
        ]),
    ];

    public static PaletteSpec? FindPalette(string name) => Palettes.FirstOrDefault(p => p.Name == name);

    public static CommandSpec? Find(string palette, string command) =>
        FindPalette(palette)?.Commands.FirstOrDefault(c => c.Name == command);

    /// <summary>
    /// Parses a command's arguments (after palette and command). Returns the named values or a
    /// message saying what is wrong and the usage.
    /// </summary>
    public static (Dictionary<string, string> Values, string? Error) Parse(CommandSpec spec, IReadOnlyList<string> tokens)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var positionals = spec.Arguments.Where(a => a.Kind == ArgumentKind.Positional).ToList();
        var nextPositional = 0;
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (token.StartsWith("--", StringComparison.Ordinal) && token.Length > 2)
            {
                var name = token[2..];
                string? inline = null;
                var eq = name.IndexOf('=');
                if (eq > 0) { inline = name[(eq + 1)..]; name = name[..eq]; }
                var arg = spec.Arguments.FirstOrDefault(a => a.Name == name && a.Kind != ArgumentKind.Positional);
                if (arg is null)
                    return (values, $"{spec.Palette} {spec.Name}: unknown option --{name}; usage: {spec.Usage}");
                if (arg.Kind == ArgumentKind.Flag) { values[name] = inline ?? "true"; continue; }
                if (inline is null)
                {
                    if (i + 1 >= tokens.Count)
                        return (values, $"{spec.Palette} {spec.Name}: --{name} needs a value; usage: {spec.Usage}");
                    inline = tokens[++i];
                }
                values[name] = inline;
            }
            else
            {
                if (nextPositional >= positionals.Count)
                    return (values, $"{spec.Palette} {spec.Name}: unexpected argument '{token}'; usage: {spec.Usage}");
                values[positionals[nextPositional++].Name] = token;
            }
        }
        var missing = Validate(spec, values);
        return (values, missing);
    }

    /// <summary>Null when every required argument is there; else what is missing and the usage.</summary>
    public static string? Validate(CommandSpec spec, IReadOnlyDictionary<string, string> values)
    {
        var missing = spec.Arguments.Where(a => a.Required && (!values.TryGetValue(a.Name, out var v) || string.IsNullOrWhiteSpace(v))).ToList();
        return missing.Count == 0 ? null
            : $"{spec.Palette} {spec.Name}: missing {string.Join(", ", missing.Select(a => a.Kind == ArgumentKind.Positional ? a.Name.ToUpperInvariant() : "--" + a.Name))}; usage: {spec.Usage}";
    }
}
