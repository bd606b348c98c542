using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace CapiUpgrade.Core.Naming;

/// <summary>Kubernetes' DNS-1123 name rules, and a short stable hash for making names unique.</summary>
public static partial class Dns1123
{
    public const int MaxLabelLength = 63;
    public const int MaxSubdomainLength = 253;

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex LabelRegex();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex SubdomainRegex();

    /// <summary>A DNS-1123 label: lowercase alphanumerics and '-', starting and ending alphanumeric, at most 63 characters.</summary>
    public static bool IsLabel(string? s) => s is { Length: > 0 and <= MaxLabelLength } && LabelRegex().IsMatch(s);

    /// <summary>A DNS-1123 subdomain (labels joined by '.'), at most 253 characters.</summary>
    public static bool IsSubdomain(string? s) => s is { Length: > 0 and <= MaxSubdomainLength } && SubdomainRegex().IsMatch(s);

    /// <summary>Lowercases and replaces every character outside [a-z0-9-] (dots included) by '-', collapses runs, trims '-' at both ends.</summary>
    public static string SanitizeToLabelCharacters(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var ch in s.ToLowerInvariant())
        {
            var c = ch is >= 'a' and <= 'z' or >= '0' and <= '9' ? ch : '-';
            if (c == '-' && (sb.Length == 0 || sb[^1] == '-')) continue;
            sb.Append(c);
        }
        return sb.ToString().TrimEnd('-');
    }

    /// <summary>The first <paramref name="hexChars"/> lowercase hex characters of SHA-256 over the UTF-8 text.</summary>
    public static string ShortHash(string text, int hexChars = 8)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        return Convert.ToHexStringLower(hash)[..hexChars];
    }
}
