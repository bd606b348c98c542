using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using CapiUpgrade.Service.Metrics;
using Microsoft.Extensions.Logging;

namespace CapiUpgrade.Service.Commands;

/// <summary>One validated call of a command.</summary>
public sealed record CommandInvocation(CommandSpec Spec, IReadOnlyDictionary<string, string> Args, string User)
{
    public string Required(string name) => Args.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v)
        ? v : throw new CommandException($"{Spec.Palette} {Spec.Name}: missing {name}; usage: {Spec.Usage}");

    public string? Optional(string name) => Args.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v : null;
}

public sealed record CommandResult(JsonNode? Data, CommandView View);

public sealed record StreamItem(JsonNode? Data, string Line);

/// <summary>A command failed; the message is for a person (what, on which object, what to do).</summary>
public sealed class CommandException(string message, int status = 400) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>Executes the commands of one palette.</summary>
public interface IPaletteHandler
{
    string Palette { get; }
    Task<CommandResult> ExecuteAsync(CommandInvocation invocation, CancellationToken cancellationToken);
    IAsyncEnumerable<StreamItem> StreamAsync(CommandInvocation invocation, CancellationToken cancellationToken);
}

/// <summary>Finds the command, validates its arguments and runs it; shared by the TCP endpoint and the HTTP API.</summary>
public sealed class CommandDispatcher(IEnumerable<IPaletteHandler> handlers, ServiceMetrics metrics, ILogger<CommandDispatcher> logger)
{
    private readonly Dictionary<string, IPaletteHandler> _handlers = handlers.ToDictionary(h => h.Palette, StringComparer.Ordinal);

    public bool IsStreaming(CommandRequest request) => CommandCatalog.Find(request.Palette, request.Command)?.Streams == true;

    public async Task<CommandReply> ExecuteAsync(CommandRequest request, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var (invocation, handler, error) = Resolve(request);
        if (error is not null) return error;
        try
        {
            var result = await handler!.ExecuteAsync(invocation!, cancellationToken);
            metrics.CommandExecuted(request.Palette, request.Command, "ok", System.Diagnostics.Stopwatch.GetElapsedTime(started));
            return new CommandReply { Kind = ReplyKinds.Result, Data = result.Data, View = result.View };
        }
        catch (CommandException e)
        {
            metrics.CommandExecuted(request.Palette, request.Command, "error", System.Diagnostics.Stopwatch.GetElapsedTime(started));
            return CommandReply.Failure(e.Message, e.Status);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            metrics.CommandExecuted(request.Palette, request.Command, "error", System.Diagnostics.Stopwatch.GetElapsedTime(started));
            logger.LogError(e, "command {Palette} {Command} failed", request.Palette, request.Command);
            return CommandReply.Failure($"{request.Palette} {request.Command} failed inside the service: {e.Message}; see the service log", 500);
        }
    }

    public async IAsyncEnumerable<CommandReply> StreamAsync(CommandRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (invocation, handler, error) = Resolve(request);
        if (error is not null) { yield return error; yield break; }
        metrics.CommandExecuted(request.Palette, request.Command, "stream", TimeSpan.Zero);
        await using var e = handler!.StreamAsync(invocation!, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            CommandReply? failure = null;
            bool more;
            try
            {
                more = await e.MoveNextAsync();
            }
            catch (CommandException ex)
            {
                failure = CommandReply.Failure(ex.Message, ex.Status);
                more = false;
            }
            if (failure is not null) { yield return failure; yield break; }
            if (!more) yield break;
            yield return new CommandReply { Kind = ReplyKinds.Event, Data = e.Current.Data, Line = e.Current.Line };
        }
    }

    /// <summary>The error reply when the request names no known command or lacks an argument; else null.</summary>
    public CommandReply? Check(CommandRequest request) => Resolve(request).Item3;

    private (CommandInvocation?, IPaletteHandler?, CommandReply?) Resolve(CommandRequest request)
    {
        var palette = CommandCatalog.FindPalette(request.Palette);
        if (palette is null)
            return (null, null, CommandReply.Failure($"unknown palette '{request.Palette}'; palettes: {string.Join(", ", CommandCatalog.Palettes.Select(p => p.Name))}", 400));
        var spec = CommandCatalog.Find(request.Palette, request.Command);
        if (spec is null)
            return (null, null, CommandReply.Failure($"unknown command '{request.Palette} {request.Command}'; {request.Palette} has: {string.Join(", ", palette.Commands.Select(c => c.Name))}", 400));
        var missing = CommandCatalog.Validate(spec, request.Args);
        if (missing is not null) return (null, null, CommandReply.Failure(missing, 400));
        if (!_handlers.TryGetValue(spec.Palette, out var handler))
            return (null, null, CommandReply.Failure($"{spec.Palette} commands are not available in this service build", 501));
        return (new CommandInvocation(spec, request.Args, string.IsNullOrWhiteSpace(request.User) ? "unknown" : request.User), handler, null);
    }
}
