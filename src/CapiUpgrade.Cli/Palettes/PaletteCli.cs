using System.Text.RegularExpressions;
using CapiUpgrade.Service.Commands;

namespace CapiUpgrade.Cli.Palettes;

/// <summary>
/// <c>capi-upgrade [HOST:PORT] &lt;palette&gt; &lt;command&gt; [args] [--output table|json] [--token-file FILE]</c>
/// and <c>capi-upgrade shell [HOST:PORT]</c>. Handled before System.CommandLine because the
/// endpoint is an optional first positional argument. The token comes from <c>--token-file</c>,
/// else env <c>CAPI_UPGRADE_TOKEN</c>, else env <c>CAPI_UPGRADE_TOKEN_FILE</c>.
/// Exit codes: 0 ok, 1 the service refused or failed the command, 2 usage, 3 no service there, 4 unauthorized.
/// </summary>
public static partial class PaletteCli
{
    public const string DefaultEndpoint = "127.0.0.1:9110";

    [GeneratedRegex(@"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9._-]+):\d{1,5}$")]
    private static partial Regex EndpointPattern();

    public static bool IsEndpoint(string arg) => EndpointPattern().IsMatch(arg);

    /// <summary>True when the arguments are a palette command or <c>shell</c> (so System.CommandLine is not used).</summary>
    public static bool Handles(string[] args)
    {
        var rest = WithoutLeadingGlobalOptions(args);
        if (rest.Length > 0 && IsEndpoint(rest[0])) return true;
        return rest.Length > 0 && (rest[0] == "shell" || CommandCatalog.FindPalette(rest[0]) is not null);
    }

    /// <summary>`capi-upgrade --token-file F 127.0.0.1:9110 upgrade list`: global options may come first.</summary>
    private static string[] WithoutLeadingGlobalOptions(string[] args)
    {
        var i = 0;
        while (i < args.Length && args[i] is "--token-file" or "--output" or "-o") i += 2;
        while (i < args.Length && args[i].StartsWith("--output=", StringComparison.Ordinal)) i++;
        return i >= args.Length ? [] : args[i..];
    }

    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null, TextReader? stdin = null, CancellationToken cancellationToken = default)
    {
        stdout ??= Console.Out;
        stderr ??= Console.Error;
        var endpoint = Environment.GetEnvironmentVariable("CAPI_UPGRADE_ENDPOINT") is { Length: > 0 } e ? e : DefaultEndpoint;
        var leading = args.Length - WithoutLeadingGlobalOptions(args).Length;
        var rest = args.Skip(leading).ToList();
        if (rest.Count > 0 && IsEndpoint(rest[0])) { endpoint = rest[0]; rest.RemoveAt(0); }
        rest.AddRange(args.Take(leading)); // global options are taken from anywhere by Session.Create
        if (rest.Count > 0 && rest[0] == "shell")
        {
            rest.RemoveAt(0);
            if (rest.Count > 0 && IsEndpoint(rest[0])) { endpoint = rest[0]; rest.RemoveAt(0); }
        }
        else if (rest.Count == 0)
        {
            await stderr.WriteLineAsync("usage: capi-upgrade [HOST:PORT] <palette> <command> [args]   or   capi-upgrade shell [HOST:PORT]");
            return 2;
        }
        else
        {
            var session = Session.Create(endpoint, rest, stderr, out var commandTokens, out var error);
            if (session is null) { await stderr.WriteLineAsync(error); return 2; }
            return await session.ExecuteAsync(commandTokens, stdout, stderr, cancellationToken);
        }
        var shellSession = Session.Create(endpoint, rest, stderr, out var leftover, out var shellError);
        if (shellSession is null) { await stderr.WriteLineAsync(shellError); return 2; }
        if (leftover.Count > 0) { await stderr.WriteLineAsync($"shell: unexpected argument '{leftover[0]}'; usage: capi-upgrade shell [HOST:PORT]"); return 2; }
        return await InteractiveShell.RunAsync(shellSession, stdin ?? Console.In, stdout, stderr, cancellationToken);
    }

    public static string HelpText(string? palette = null, string? command = null)
    {
        var sb = new System.Text.StringBuilder();
        if (palette is null)
        {
            sb.AppendLine("palettes (type `help PALETTE` or `help PALETTE COMMAND`):");
            foreach (var p in CommandCatalog.Palettes)
                sb.AppendLine($"  {p.Name,-10} {p.Description}");
            sb.AppendLine("options: --output table|json (-o json), --token-file FILE; in the shell also `exit`");
            return sb.ToString().TrimEnd();
        }
        var spec = CommandCatalog.FindPalette(palette);
        if (spec is null) return $"unknown palette '{palette}'; palettes: {string.Join(", ", CommandCatalog.Palettes.Select(p => p.Name))}";
        if (command is null)
        {
            sb.AppendLine($"{spec.Name}: {spec.Description}");
            foreach (var c in spec.Commands)
                sb.AppendLine($"  {c.Name,-8} {c.Description}");
            return sb.ToString().TrimEnd();
        }
        var cmd = CommandCatalog.Find(palette, command);
        if (cmd is null) return $"unknown command '{palette} {command}'; {palette} has: {string.Join(", ", spec.Commands.Select(c => c.Name))}";
        sb.AppendLine($"usage: {cmd.Usage}");
        sb.AppendLine($"  {cmd.Description}{(cmd.Streams ? " (streams until Ctrl-C)" : "")}");
        foreach (var a in cmd.Arguments)
            sb.AppendLine($"  {(a.Kind == ArgumentKind.Positional ? a.Name.ToUpperInvariant() : "--" + a.Name),-12} {a.Description}{(a.Required ? " (required)" : "")}");
        return sb.ToString().TrimEnd();
    }

    /// <summary>Endpoint, token and output format for one or many commands.</summary>
    public sealed class Session
    {
        public required CommandClient Client { get; init; }
        public string? Token { get; init; }
        public OutputFormat Output { get; set; }
        public string User { get; } = $"{Environment.UserName}@{Environment.MachineName}";

        /// <summary>Takes the global options out of <paramref name="tokens"/>; the rest is the command.</summary>
        public static Session? Create(string endpoint, IReadOnlyList<string> tokens, TextWriter stderr, out List<string> rest, out string? error)
        {
            rest = [];
            error = null;
            var output = OutputFormat.Table;
            string? tokenFile = null;
            for (var i = 0; i < tokens.Count; i++)
            {
                var t = tokens[i];
                if (t is "--output" or "-o")
                {
                    if (i + 1 >= tokens.Count || !TryFormat(tokens[++i], out output)) { error = "--output takes table or json"; return null; }
                }
                else if (t.StartsWith("--output=", StringComparison.Ordinal))
                {
                    if (!TryFormat(t["--output=".Length..], out output)) { error = "--output takes table or json"; return null; }
                }
                else if (t == "--token-file")
                {
                    if (i + 1 >= tokens.Count) { error = "--token-file needs a file"; return null; }
                    tokenFile = tokens[++i];
                }
                else rest.Add(t);
            }
            string? token;
            try
            {
                token = ReadToken(tokenFile);
            }
            catch (IOException e)
            {
                error = e.Message;
                return null;
            }
            var colon = endpoint.LastIndexOf(':');
            var host = endpoint[..colon].Trim('[', ']');
            return new Session { Client = new CommandClient(host, int.Parse(endpoint[(colon + 1)..])), Token = token, Output = output };
        }

        private static bool TryFormat(string value, out OutputFormat format)
        {
            format = value.ToLowerInvariant() switch { "json" => OutputFormat.Json, "table" => OutputFormat.Table, _ => (OutputFormat)(-1) };
            return (int)format >= 0;
        }

        private static string? ReadToken(string? tokenFile)
        {
            tokenFile ??= Environment.GetEnvironmentVariable("CAPI_UPGRADE_TOKEN_FILE") is { Length: > 0 } f ? f : null;
            if (tokenFile is null)
                return Environment.GetEnvironmentVariable("CAPI_UPGRADE_TOKEN") is { Length: > 0 } t ? t.Trim() : null;
            if (!File.Exists(tokenFile)) throw new IOException($"--token-file {tokenFile}: the file does not exist");
            return File.ReadAllText(tokenFile).Trim();
        }

        /// <summary>Runs one command (palette, command, args). Returns the exit code.</summary>
        public async Task<int> ExecuteAsync(IReadOnlyList<string> tokens, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
        {
            if (tokens.Count < 2 || tokens[1] is "help" or "--help" or "-h")
            {
                var text = HelpText(tokens.Count > 0 ? tokens[0] : null);
                await (tokens.Count >= 1 && CommandCatalog.FindPalette(tokens[0]) is not null && tokens.Count >= 2 ? stdout : stderr).WriteLineAsync(text);
                return tokens.Count >= 2 ? 0 : 2;
            }
            var spec = CommandCatalog.Find(tokens[0], tokens[1]);
            if (spec is null) { await stderr.WriteLineAsync(HelpText(tokens[0], tokens[1])); return 2; }
            if (tokens.Skip(2).Any(t => t is "--help" or "-h")) { await stdout.WriteLineAsync(HelpText(tokens[0], tokens[1])); return 0; }
            var (values, error) = CommandCatalog.Parse(spec, tokens.Skip(2).ToList());
            if (error is not null) { await stderr.WriteLineAsync(error); return 2; }
            foreach (var file in spec.Arguments.Where(a => a.IsFile))
            {
                if (!values.TryGetValue(file.Name, out var path)) continue;
                if (!File.Exists(path)) { await stderr.WriteLineAsync($"{spec.Palette} {spec.Name}: file '{path}' does not exist"); return 2; }
                values[file.Name] = await File.ReadAllTextAsync(path, cancellationToken);
            }
            var request = new CommandRequest { Palette = spec.Palette, Command = spec.Name, Args = values, Token = Token, User = User };
            try
            {
                await foreach (var reply in Client.SendAsync(request, cancellationToken))
                {
                    if (reply.Kind == ReplyKinds.Error)
                    {
                        await stderr.WriteLineAsync("error: " + reply.Error);
                        return reply.Status == 401 ? 4 : 1;
                    }
                    await stdout.WriteLineAsync(OutputRenderer.Render(reply, Output));
                    await stdout.FlushAsync(cancellationToken);
                    if (reply.Kind == ReplyKinds.Result) return 0;
                }
            }
            catch (EndpointUnavailableException e)
            {
                await stderr.WriteLineAsync("error: " + e.Message);
                return 3;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 0;
            }
            if (spec.Streams) return 0;
            await stderr.WriteLineAsync($"error: the service at {Client.Endpoint} closed the connection without an answer");
            return 1;
        }
    }
}
