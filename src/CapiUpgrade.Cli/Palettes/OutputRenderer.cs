using System.Text;
using System.Text.Json;
using CapiUpgrade.Service.Commands;

namespace CapiUpgrade.Cli.Palettes;

public enum OutputFormat { Table, Json }

/// <summary>Prints replies: readable tables by default, the data as JSON with <c>--output json</c>.</summary>
public static class OutputRenderer
{
    public static string Render(CommandReply reply, OutputFormat format)
    {
        if (reply.Kind == ReplyKinds.Event)
            return format == OutputFormat.Json ? JsonSerializer.Serialize(reply.Data, CommandJson.Options) : reply.Line ?? "";
        if (format == OutputFormat.Json)
            return JsonSerializer.Serialize(reply.Data, CommandJson.Indented);
        return RenderView(reply.View ?? new CommandView());
    }

    public static string RenderView(CommandView view)
    {
        var sb = new StringBuilder();
        if (view.Title is not null) sb.AppendLine(view.Title);
        if (view.Fields.Count > 0)
        {
            var width = view.Fields.Max(f => f.Name.Length) + 1;
            foreach (var f in view.Fields)
                sb.Append("  ").Append((f.Name + ":").PadRight(width + 1)).AppendLine(f.Value);
        }
        foreach (var table in view.Tables)
        {
            if (table.Title is null && table.Rows.Count == 0) continue;
            if (sb.Length > 0) sb.AppendLine();
            if (table.Title is not null) sb.AppendLine(table.Title + (table.Rows.Count == 0 ? ": none" : ":"));
            if (table.Rows.Count == 0 && table.Title is not null) continue;
            RenderTable(sb, table);
        }
        if (view.Message is not null)
        {
            if (sb.Length > 0 && (view.Tables.Count > 0 || view.Fields.Count > 0)) sb.AppendLine();
            sb.AppendLine(view.Message);
        }
        return sb.ToString().TrimEnd('\n', '\r');
    }

    private static void RenderTable(StringBuilder sb, ViewTable table)
    {
        var widths = table.Columns.Select(c => c.Length).ToArray();
        foreach (var row in table.Rows)
            for (var i = 0; i < widths.Length && i < row.Count; i++)
                widths[i] = Math.Max(widths[i], row[i].Length);
        void Line(IReadOnlyList<string> cells)
        {
            var line = new StringBuilder();
            for (var i = 0; i < widths.Length; i++)
            {
                var cell = i < cells.Count ? cells[i] : "";
                line.Append(i == widths.Length - 1 ? cell : cell.PadRight(widths[i] + 2));
            }
            sb.AppendLine(line.ToString().TrimEnd());
        }
        Line(table.Columns);
        foreach (var row in table.Rows) Line(row);
    }
}
