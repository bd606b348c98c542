using System.CommandLine;
using CapiUpgrade.Service.Hosting;

namespace CapiUpgrade.Cli.Serve;

/// <summary>
/// <c>capi-upgrade serve [--kubeconfig [NAME=]FILE ...] [--db FILE | --postgres CONNSTR]
/// [--listen 127.0.0.1:9110] [--http 127.0.0.1:9111] [--token-file FILE] [--config FILE]</c>.
/// </summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var kubeconfig = new Option<string[]>("--kubeconfig") { Description = "a management cluster's kubeconfig, [NAME=]FILE; repeat for several (a single one is named default)", AllowMultipleArgumentsPerToken = false };
        var db = new Option<string?>("--db") { Description = "SQLite journal file (default capi-upgrade-service.db)" };
        var postgres = new Option<string?>("--postgres") { Description = "PostgreSQL connection string for the journal instead of SQLite" };
        var listen = new Option<string?>("--listen") { Description = "command endpoint HOST:PORT (default 127.0.0.1:9110)" };
        var http = new Option<string?>("--http") { Description = "HTTP API HOST:PORT (default 127.0.0.1:9111)" };
        var tokenFile = new Option<string?>("--token-file") { Description = "file holding the token clients must send; required to bind a non-loopback address" };
        var config = new Option<string?>("--config") { Description = "HOCON file overriding the embedded defaults (also env CAPI_UPGRADE_CONFIG)" };
        var command = new Command("serve", "run the long-lived service: campaigns, the command endpoint (pbm's port) and the HTTP API")
        {
            kubeconfig, db, postgres, listen, http, tokenFile, config,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var flags = new ServiceOptions.Flags
            {
                Kubeconfigs = parse.GetValue(kubeconfig) ?? [],
                Db = parse.GetValue(db),
                Postgres = parse.GetValue(postgres),
                Listen = parse.GetValue(listen),
                Http = parse.GetValue(http),
                TokenFile = parse.GetValue(tokenFile),
                ConfigFile = parse.GetValue(config),
            };
            return await ServiceHost.RunAsync(flags, Console.Out, Console.Error, cancellationToken);
        });
        return command;
    }
}
