using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ModelContextProtocol.Protocol;

namespace Portcullis.Scanning;

/// <summary>
/// Scans what servers say and what flows through calls: tool definitions (every string, property name and nested
/// schema, after normalization), tool results (injection attempts, secrets), call arguments (secrets, padding) and a
/// catalog across servers (name collisions, look-alike names). Deterministic: the same input gives the same findings.
/// </summary>
public static partial class ToolScanner
{
    /// <summary>True when any finding blocks approval.</summary>
    public static bool Blocks(IEnumerable<Finding> findings) => findings.Any(f => f.Severity == Severity.Critical);

    /// <summary>Scans one tool definition.</summary>
    public static IReadOnlyList<Finding> ScanTool(Tool tool, ScanContext context)
    {
        var findings = new List<Finding>();
        findings.AddRange(ScanName(tool.Name, context));
        ScanMetadataText(tool.Title, "title", tool.Name, context, findings);
        ScanMetadataText(tool.Description, "description", tool.Name, context, findings);
        WalkJson(tool.InputSchema, "inputSchema", tool.Name, context, findings);
        if (tool.OutputSchema is { } output)
        {
            WalkJson(output, "outputSchema", tool.Name, context, findings);
        }

        if (tool.Meta is { } meta)
        {
            WalkJson(JsonSerializer.SerializeToElement(meta), "_meta", tool.Name, context, findings);
        }

        if (tool.Annotations is { } annotations && DestructiveVerb().IsMatch(tool.Name + " " + (tool.Description ?? ""))
            && (annotations.ReadOnlyHint == true || annotations.DestructiveHint == false))
        {
            findings.Add(new Finding("annotation-mismatch", Severity.Medium, "annotations",
                $"'{tool.Name}' reads as destructive but claims {(annotations.ReadOnlyHint == true ? "readOnlyHint: true" : "destructiveHint: false")}; annotations from a server are hints and never relax policy"));
        }

        return findings;
    }

    /// <summary>Scans a tool name: the protocol's charset, and look-alikes of other servers' tools.</summary>
    public static IEnumerable<Finding> ScanName(string name, ScanContext context)
    {
        if (!ValidName().IsMatch(name))
        {
            var odd = string.Join(", ", name.Where(c => c > 127 || !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')).Distinct().Select(c => $"U+{(int)c:X4} '{c}'"));
            yield return new Finding("invalid-tool-name", Severity.Critical, "name", $"'{name}' is outside the tool-name charset [A-Za-z0-9_.-]{{1,64}}{(odd.Length > 0 ? ": " + odd : "")}");
        }

        var skeleton = Skeleton(name);
        foreach (var other in context.OtherTools.Concat(context.OwnTools))
        {
            if (other != name && Skeleton(other) == skeleton)
            {
                yield return new Finding("homoglyph-name", Severity.Critical, "name", $"'{name}' looks like '{other}' but is spelled with different characters (impersonation)");
            }
        }
    }

    /// <summary>Scans text a tool or resource returned: injection attempts aimed at the model, and secrets.</summary>
    public static IReadOnlyList<Finding> ScanContent(string text, string location, bool binaryContent = false) =>
        Scan(text, location, binaryContent, secrets: true);

    /// <summary>Scans returned text for injection attempts only (<see cref="IsInjection"/>), for callers that redact secrets separately.</summary>
    public static IEnumerable<Finding> ScanInjection(string text, string location) =>
        Scan(text, location, binaryContent: false, secrets: false).Where(IsInjection);

    private static IReadOnlyList<Finding> Scan(string text, string location, bool binaryContent, bool secrets)
    {
        var normalized = NormalizedText.From(text, location, binaryContent);
        var findings = new List<Finding>(normalized.Findings);
        foreach (var part in normalized.AllText())
        {
            findings.AddRange(TextDetectors.ScanInstructions(part, location));
            if (secrets)
            {
                findings.AddRange(TextDetectors.ScanSecrets(part, location).Select(s => s.Finding));
            }
        }

        return Distinct(findings);
    }

    /// <summary>Replaces every secret in <paramref name="text"/> with a visible marker; reports what was replaced.</summary>
    public static string RedactSecrets(string text, string location, out IReadOnlyList<Finding> redacted)
    {
        if (!TextDetectors.HasSecret(text))
        {
            redacted = [];
            return text;
        }

        var found = TextDetectors.ScanSecrets(text, location).OrderByDescending(s => s.Match.Index).ToList();
        redacted = [.. found.Select(s => s.Finding).DistinctBy(f => f.Rule)];
        if (found.Count == 0)
        {
            return text;
        }

        var builder = new StringBuilder(text);
        var end = int.MaxValue;
        foreach (var (finding, match) in found)
        {
            if (match.Index + match.Length > end)
            {
                continue; // overlaps a later match already replaced
            }

            builder.Remove(match.Index, match.Length).Insert(match.Index, $"[redacted by Portcullis: {finding.Reason}]");
            end = match.Index;
        }

        return builder.ToString();
    }

    /// <summary>True for a finding about text that tries to instruct the model (as opposed to a secret).</summary>
    public static bool IsInjection(Finding finding) => !finding.Rule.StartsWith("secret-", StringComparison.Ordinal) && finding.Severity >= Severity.High;

    /// <summary>Scans call arguments on the way out: secrets and text hidden by padding.</summary>
    public static IReadOnlyList<Finding> ScanArguments(IDictionary<string, JsonElement> arguments)
    {
        var findings = new List<Finding>();
        foreach (var (name, value) in arguments)
        {
            foreach (var (path, text) in Strings(value, "arguments." + name))
            {
                findings.AddRange(TextDetectors.ScanSecrets(text, path).Select(s => s.Finding));
                if (PaddingInArgument().IsMatch(text))
                {
                    findings.Add(new Finding("whitespace-padding", Severity.High, path, "a long run of whitespace hides the rest of the value from a reviewer"));
                }
            }
        }

        return Distinct(findings);
    }

    /// <summary>Scans the tools of several servers together: equal or look-alike names across servers.</summary>
    public static IReadOnlyList<Finding> ScanCatalog(IReadOnlyDictionary<string, IReadOnlyList<string>> toolsByServer)
    {
        var findings = new List<Finding>();
        var bySkeleton = toolsByServer.SelectMany(s => s.Value.Select(t => (Server: s.Key, Tool: t))).GroupBy(x => Skeleton(x.Tool));
        foreach (var group in bySkeleton.Where(g => g.Select(x => x.Server).Distinct().Count() > 1))
        {
            var places = string.Join(", ", group.Select(x => $"{x.Server}__{x.Tool}"));
            var lookAlike = group.Select(x => x.Tool).Distinct().Count() > 1;
            findings.Add(new Finding(lookAlike ? "homoglyph-name" : "name-collision", lookAlike ? Severity.Critical : Severity.Medium, "tools/list",
                lookAlike
                    ? $"look-alike tool names across servers: {places}"
                    : $"several servers expose '{group.First().Tool}' ({places}); the gateway keeps them apart by server prefix and a bare name is refused"));
        }

        return findings;
    }

    /// <summary>A name reduced to a canonical look-alike form: confusable letters folded to ASCII, case and separators dropped.</summary>
    public static string Skeleton(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name.Normalize(NormalizationForm.FormKD))
        {
            if (char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.NonSpacingMark || c is '_' or '-' or '.')
            {
                continue;
            }

            builder.Append(Confusables.TryGetValue(c, out var ascii) ? ascii : char.ToLowerInvariant(c));
        }

        return builder.ToString().Replace("rn", "m", StringComparison.Ordinal).Replace('0', 'o').Replace('1', 'l');
    }

    private static void ScanMetadataText(string? text, string location, string? toolName, ScanContext context, List<Finding> findings)
    {
        if (string.IsNullOrEmpty(text))
        {
            return;
        }

        var normalized = NormalizedText.From(text, location);
        findings.AddRange(normalized.Findings);
        foreach (var part in normalized.AllText())
        {
            findings.AddRange(TextDetectors.ScanMetadata(part, location, context, toolName));
        }
    }

    private static void WalkJson(JsonElement element, string location, string toolName, ScanContext context, List<Finding> findings)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var path = $"{location}.{property.Name}";
                    // Property names are text the model reads too.
                    ScanMetadataText(property.Name, path + " (name)", toolName, context, findings);
                    WalkJson(property.Value, path, toolName, context, findings);
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    WalkJson(item, $"{location}[{index++}]", toolName, context, findings);
                }

                break;
            case JsonValueKind.String:
                ScanMetadataText(element.GetString(), location, toolName, context, findings);
                break;
        }
    }

    private static IEnumerable<(string Path, string Text)> Strings(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                yield return (path, element.GetString()!);
                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    foreach (var inner in Strings(property.Value, $"{path}.{property.Name}"))
                    {
                        yield return inner;
                    }
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    foreach (var inner in Strings(item, $"{path}[{index++}]"))
                    {
                        yield return inner;
                    }
                }

                break;
        }
    }

    private static List<Finding> Distinct(List<Finding> findings) => [.. findings.DistinctBy(f => (f.Rule, f.Location))];

    /// <summary>Letters from other scripts that render like ASCII letters.</summary>
    private static readonly Dictionary<char, char> Confusables = new()
    {
        ['а'] = 'a', ['е'] = 'e', ['о'] = 'o', ['р'] = 'p', ['с'] = 'c', ['у'] = 'y', ['х'] = 'x', ['і'] = 'i', ['ї'] = 'i', ['ј'] = 'j', ['ѕ'] = 's', ['ԁ'] = 'd', ['ӏ'] = 'l', ['һ'] = 'h', ['ԛ'] = 'q', ['ԝ'] = 'w', ['ɡ'] = 'g',
        ['А'] = 'a', ['В'] = 'b', ['Е'] = 'e', ['К'] = 'k', ['М'] = 'm', ['Н'] = 'h', ['О'] = 'o', ['Р'] = 'p', ['С'] = 'c', ['Т'] = 't', ['Х'] = 'x', ['І'] = 'i',
        ['α'] = 'a', ['ο'] = 'o', ['ρ'] = 'p', ['ν'] = 'v', ['ε'] = 'e', ['τ'] = 't', ['ι'] = 'i', ['κ'] = 'k', ['υ'] = 'u', ['χ'] = 'x', ['Ο'] = 'o', ['Α'] = 'a', ['Ε'] = 'e',
    };

    [GeneratedRegex(@"^[A-Za-z0-9_.-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex ValidName();

    [GeneratedRegex(@"\b(?:delete|remove|drop|destroy|wipe|purge|erase|truncate|overwrite|kill|terminate|revoke|reset)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DestructiveVerb();

    [GeneratedRegex(@"[ \t\u00a0]{40,}", RegexOptions.CultureInvariant)]
    private static partial Regex PaddingInArgument();
}
