using System.CommandLine;
using CapiUpgrade.Simulator.ApiServer;
using CapiUpgrade.Simulator.ApiServer.Schema;
using CapiUpgrade.Simulator.ApiServer.Tls;

namespace CapiUpgrade.Cli.Sim;

/// <summary>
/// <c>capi-upgrade sim …</c>: the simulator on the command line. <c>sim serve</c> runs a simulated management
/// API server until Ctrl-C/SIGTERM. To extend <c>serve</c> (e.g. fleet options), add options in
/// <see cref="BuildServeCommand"/> and act on them in a hook added to <see cref="ServeHooks"/>, which runs once
/// the management API server is up.
/// </summary>
public static class SimCommands
{
    /// <summary>The options of <c>sim serve</c>, for hooks that read them from the parse result.</summary>
    public sealed class ServeOptions
    {
        public Option<int> Port { get; } = new("--port") { Description = "TCP port on 127.0.0.1 for the management API server (0 = any free port)", DefaultValueFactory = _ => 6443 };
        public Option<FileInfo?> KubeconfigOut { get; } = new("--kubeconfig-out") { Description = "write the management cluster's kubeconfig to this file" };
        public Option<DirectoryInfo?> Crds { get; } = new("--crds") { Description = "folder of CRD YAML files to validate custom resources against (e.g. ../shared/capi-crds/v1.10.10)" };
        public Option<bool> Tls { get; } = new("--tls") { Description = "serve HTTPS with a fresh CA and require the kubeconfig's client certificate (without it: plain HTTP and a bearer token in the kubeconfig)" };
    }

    /// <summary>Called after the management API server started, before waiting for Ctrl-C: (parse result, options, server, cancellation).</summary>
    public static List<Func<ParseResult, ServeOptions, KubeApiServer, CancellationToken, Task>> ServeHooks { get; } = [];

    public static Command Build()
    {
        var sim = new Command("sim", "Run the simulated Kubernetes/Cluster API environment (management API server, later fleets of workload clusters).");
        sim.Subcommands.Add(BuildServeCommand());
        sim.Subcommands.Add(FleetCommands.BuildFaultCommand());
        sim.Subcommands.Add(FleetCommands.BuildDumpCommand());
        sim.Subcommands.Add(FleetCommands.BuildObserverCommand());
        return sim;
    }

    public static Command BuildServeCommand()
    {
        var options = new ServeOptions();
        var serve = new Command("serve", "Start a simulated management cluster API server, write its kubeconfig, and run until Ctrl-C/SIGTERM.");
        serve.Options.Add(options.Port);
        serve.Options.Add(options.KubeconfigOut);
        serve.Options.Add(options.Crds);
        serve.Options.Add(options.Tls);
        FleetCommands.AddServeOptions(serve);
        serve.SetAction((parse, ct) => ServeAsync(parse, options, ct));
        return serve;
    }

    private static async Task<int> ServeAsync(ParseResult parse, ServeOptions options, CancellationToken cancellationToken)
    {
        var port = parse.GetValue(options.Port);
        var kubeconfigOut = parse.GetValue(options.KubeconfigOut);
        var crds = parse.GetValue(options.Crds);
        var tls = parse.GetValue(options.Tls);

        var serverOptions = new KubeApiServerOptions { Name = "management", Port = port };
        if (crds is not null)
        {
            if (!crds.Exists)
            {
                await Console.Error.WriteLineAsync($"--crds: the folder {crds.FullName} does not exist; pass a folder of CRD YAML files (e.g. ../shared/capi-crds/v1.10.10).");
                return 2;
            }
            serverOptions = CrdLoader.Apply(serverOptions, crds.FullName);
            Console.WriteLine($"validating custom resources against the CRDs of {crds.FullName}");
        }
        if (tls)
        {
            var ca = Pki.CreateCertificateAuthority("management-ca", rsa: false);
            serverOptions = serverOptions with
            {
                ServerCertificate = Pki.IssueServerCertificate(ca),
                ServerCaPem = Pki.CertificatePem(ca),
                ClientCertificateAuthority = ca,
            };
        }
        else
        {
            // Plain HTTP: the kubeconfig still holds a credential, a random bearer token, since KubernetesClient (and
            // so `run` and `serve`) refuses a kubeconfig user without any; kubectl sends no token over plain HTTP, so
            // requests without one are served too, as before.
            serverOptions = serverOptions with
            {
                BearerToken = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
                AllowAnonymous = true,
            };
        }

        KubeApiServer server;
        try
        {
            server = await KubeApiServer.StartAsync(serverOptions, cancellationToken);
        }
        catch (IOException e)
        {
            await Console.Error.WriteLineAsync($"could not listen on 127.0.0.1:{port}: {e.Message}. Pick another --port (0 = any free port).");
            return 1;
        }
        await using (server)
        {
            foreach (var hook in ServeHooks) await hook(parse, options, server, cancellationToken);
            var kubeconfigPath = kubeconfigOut?.FullName ?? Path.Combine(Path.GetTempPath(), $"capi-upgrade-sim-{server.Port}.kubeconfig");
            Directory.CreateDirectory(Path.GetDirectoryName(kubeconfigPath)!);
            await File.WriteAllTextAsync(kubeconfigPath, server.Kubeconfig(), cancellationToken);
            Console.WriteLine($"simulated management API server listening on {server.Url}");
            Console.WriteLine($"kubeconfig written to {kubeconfigPath}");
            Console.WriteLine($"try: kubectl --kubeconfig {kubeconfigPath} get namespaces");
            Console.WriteLine("press Ctrl-C to stop");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Console.WriteLine("stopping");
            }
        }
        return 0;
    }
}
