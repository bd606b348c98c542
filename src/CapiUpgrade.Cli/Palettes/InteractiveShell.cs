using System.Text;

namespace CapiUpgrade.Cli.Palettes;

/// <summary>
/// <c>capi-upgrade shell [HOST:PORT]</c>: pbm's interactive feel. Type <c>PALETTE COMMAND [args]</c>,
/// <c>help</c>, <c>help PALETTE</c>, <c>help PALETTE COMMAND</c>, <c>exit</c>. Ctrl-C stops a running
/// tail and returns to the prompt.
/// </summary>
public static class InteractiveShell
{
    public static async Task<int> RunAsync(PaletteCli.Session session, TextReader input, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        await stdout.WriteLineAsync($"capi-upgrade shell connected to {session.Client.Endpoint}; type `help`, or `exit` to leave.");
        CancellationTokenSource? running = null;
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (running is { IsCancellationRequested: false }) { e.Cancel = true; running.Cancel(); }
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await stdout.WriteAsync($"{session.Client.Endpoint}> ");
                await stdout.FlushAsync(cancellationToken);
                var line = await input.ReadLineAsync(cancellationToken);
                if (line is null) { await stdout.WriteLineAsync(); return 0; }
                var tokens = Split(line);
                if (tokens.Count == 0) continue;
                if (tokens[0] is "exit" or "quit") return 0;
                if (tokens[0] is "help" or "?")
                {
                    await stdout.WriteLineAsync(PaletteCli.HelpText(tokens.ElementAtOrDefault(1), tokens.ElementAtOrDefault(2)));
                    continue;
                }
                if (tokens[0] == "output" && tokens.Count == 2)
                {
                    session.Output = tokens[1] == "json" ? OutputFormat.Json : OutputFormat.Table;
                    continue;
                }
                running = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var previous = session.Output;
                var (format, rest) = TakeOutput(tokens, previous);
                session.Output = format;
                var code = await session.ExecuteAsync(rest, stdout, stderr, running.Token);
                session.Output = previous;
                running.Dispose();
                running = null;
                if (code == 3) await stderr.WriteLineAsync("(the service is not reachable; the shell keeps going)");
            }
            return 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static (OutputFormat, List<string>) TakeOutput(List<string> tokens, OutputFormat format)
    {
        var rest = new List<string>();
        for (var i = 0; i < tokens.Count; i++)
        {
            if ((tokens[i] is "--output" or "-o") && i + 1 < tokens.Count) { format = tokens[++i] == "json" ? OutputFormat.Json : OutputFormat.Table; continue; }
            rest.Add(tokens[i]);
        }
        return (format, rest);
    }

    /// <summary>Splits a line into words; double or single quotes keep spaces.</summary>
    public static List<string> Split(string line)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        char? quote = null;
        var inWord = false;
        foreach (var ch in line)
        {
            if (quote is not null)
            {
                if (ch == quote) quote = null; else current.Append(ch);
                continue;
            }
            if (ch is '"' or '\'') { quote = ch; inWord = true; continue; }
            if (char.IsWhiteSpace(ch))
            {
                if (inWord) { words.Add(current.ToString()); current.Clear(); inWord = false; }
                continue;
            }
            current.Append(ch);
            inWord = true;
        }
        if (inWord) words.Add(current.ToString());
        return words;
    }
}
