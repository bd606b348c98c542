using System.CommandLine;

namespace CapiUpgrade.Cli;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // `capi-upgrade [HOST:PORT] <palette> <command> ...` and `shell`: the endpoint is an optional first positional.
        if (Palettes.PaletteCli.Handles(args)) return await Palettes.PaletteCli.RunAsync(args);
        var root = new RootCommand("capi-upgrade: upgrades the Kubernetes version of Cluster API clusters, one or a fleet at a time.");
        root.Subcommands.Add(Serve.ServeCommand.Create());
        root.Subcommands.Add(Sim.SimCommands.Build());
        root.Subcommands.Add(Run.RunCommand.Build());
        root.Subcommands.Add(Demo.DemoCommand.Build());
        var parse = root.Parse(args);
        return await parse.InvokeAsync();
    }
}
