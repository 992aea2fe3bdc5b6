using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Portcullis.McpHttp;
using Portcullis.Scanning;

namespace Portcullis.Core.Tests;

/// <summary>
/// The labelled samples in <c>shared/corpus/tool-threats.dev.jsonl</c>: every malicious one must be caught (a finding
/// of at least medium severity, or a refusal at the front door), every benign one must pass (nothing above low).
/// Each sample is routed to the surface it describes (metadata, name, annotations, output, arguments, HTTP).
/// </summary>
public sealed partial class ThreatCorpusTests
{
    public sealed record Sample(string Id, string Class, string Where, string Payload, string Label);

    public static TheoryData<string> SampleIds => [.. Load().Select(s => s.Id)];

    [Theory]
    [MemberData(nameof(SampleIds))]
    public void Each_sample_is_caught_or_passed_as_labelled(string id)
    {
        var sample = Load().Single(s => s.Id == id);
        var (caught, evidence) = Examine(sample);

        if (sample.Label == "malicious")
        {
            Assert.True(caught, $"{sample.Id} ({sample.Class}) was not caught. Findings: {evidence}");
        }
        else
        {
            Assert.False(caught, $"{sample.Id} ({sample.Class}) is benign but was flagged: {evidence}");
        }
    }

    [Fact]
    public void Detection_and_false_positive_rates_are_reported()
    {
        var samples = Load();
        var malicious = samples.Where(s => s.Label == "malicious").ToList();
        var benign = samples.Where(s => s.Label != "malicious").ToList();
        var detected = malicious.Count(s => Examine(s).Caught);
        var falsePositives = benign.Count(s => Examine(s).Caught);
        var report = $"threat corpus: detected {detected}/{malicious.Count} malicious, flagged {falsePositives}/{benign.Count} benign";
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        Assert.Equal(malicious.Count, detected);
        Assert.Equal(0, falsePositives);
    }

    private static (bool Caught, string Evidence) Examine(Sample sample)
    {
        var where = sample.Where;
        IReadOnlyList<Finding> findings;
        if (where.Contains("JSON-RPC body", StringComparison.Ordinal))
        {
            var message = StrictJsonRpc.Parse(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(sample.Payload)), out var error);
            return (message is null, error?.Message ?? "parsed");
        }

        if (where.Contains("HTTP request", StringComparison.Ordinal))
        {
            var method = HeaderValue().Match(sample.Payload) is { Success: true } m ? m.Groups["method"].Value : "";
            var name = HeaderName().Match(sample.Payload) is { Success: true } n ? n.Groups["name"].Value : "";
            var bodyName = BodyName().Match(sample.Payload).Groups["name"].Value;
            var message = new JsonRpcRequest { Id = new RequestId(1), Method = "tools/call", Params = new JsonObject { ["name"] = bodyName } };
            var mismatch = McpHttpEndpoint.HeaderMismatch(method, name, message);
            return (mismatch is not null, mismatch ?? "no mismatch");
        }

        if (where.Contains("aggregated", StringComparison.Ordinal))
        {
            var shared = QuotedName().Match(sample.Payload).Groups["name"].Value;
            findings = ToolScanner.ScanCatalog(new Dictionary<string, IReadOnlyList<string>> { ["a"] = [shared], ["b"] = [shared] });
        }
        else if (where.Contains("tool name", StringComparison.Ordinal))
        {
            var name = QuotedName().Match(sample.Payload).Groups["name"].Value;
            findings = [.. ToolScanner.ScanName(name, new ScanContext([], ["send_email", "search", "read_file"]))];
        }
        else if (where.Contains("annotations", StringComparison.Ordinal))
        {
            var definition = JsonNode.Parse(sample.Payload)!.AsObject();
            definition["inputSchema"] ??= new JsonObject { ["type"] = "object" };
            var tool = definition.Deserialize<Tool>(McpJsonUtilities.DefaultOptions)!;
            findings = ToolScanner.ScanTool(tool, ScanContext.Empty);
        }
        else if (where.Contains("arguments", StringComparison.Ordinal))
        {
            findings = ToolScanner.ScanArguments(JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(sample.Payload)!);
        }
        else if (where.Contains("inputSchema", StringComparison.Ordinal))
        {
            var schema = JsonDocument.Parse("{\"type\":\"object\",\"properties\":{" + sample.Payload + "}}").RootElement;
            findings = ToolScanner.ScanTool(new Tool { Name = "tool", Description = "A tool.", InputSchema = schema }, ScanContext.Empty);
        }
        else if (where.Contains("output", StringComparison.Ordinal) && !where.Contains("description", StringComparison.Ordinal) || where.Contains("result", StringComparison.Ordinal))
        {
            findings = ToolScanner.ScanContent(sample.Payload, "result");
        }
        else
        {
            // A description (of a tool, or of a parameter where the sample says so); "description or output" is scanned as both.
            var description = where.Contains("param", StringComparison.Ordinal)
                ? new Tool { Name = "tool", Description = "A tool.", InputSchema = JsonDocument.Parse(JsonSerializer.Serialize(new { type = "object", properties = new { value = new { type = "string", description = sample.Payload } } })).RootElement }
                : new Tool { Name = "add", Description = sample.Payload, InputSchema = JsonDocument.Parse("""{"type":"object"}""").RootElement };
            findings = [.. ToolScanner.ScanTool(description, new ScanContext(["add"], [])), .. where.Contains("output", StringComparison.Ordinal) ? ToolScanner.ScanContent(sample.Payload, "result") : []];
        }

        var serious = findings.Where(f => f.Severity >= Severity.Medium).ToList();
        return (serious.Count > 0, findings.Count == 0 ? "none" : string.Join("; ", findings.Select(f => $"{f.Severity} {f.Rule} at {f.Location}: {f.Reason}")));
    }

    private static List<Sample> Load()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "shared", "corpus", "tool-threats.dev.jsonl");
            if (File.Exists(path))
            {
                return [.. File.ReadLines(path).Where(l => l.Trim().Length > 0).Select(l =>
                {
                    var json = JsonDocument.Parse(l).RootElement;
                    return new Sample(json.GetProperty("id").GetString()!, json.GetProperty("cls").GetString()!, json.GetProperty("where").GetString()!, json.GetProperty("payload").GetString()!, json.GetProperty("label").GetString()!);
                })];
            }
        }

        throw new FileNotFoundException("shared/corpus/tool-threats.dev.jsonl was not found beside the checkout; the scanner cannot be checked without it.");
    }

    [GeneratedRegex(@"Mcp-Method:\s*(?<method>\S+)")]
    private static partial Regex HeaderValue();

    [GeneratedRegex(@"Mcp-Name:\s*(?<name>\S+)")]
    private static partial Regex HeaderName();

    [GeneratedRegex(@"""name""\s*:\s*""(?<name>[^""]+)""")]
    private static partial Regex BodyName();

    [GeneratedRegex(@"""(?<name>[^""]+)""")]
    private static partial Regex QuotedName();
}
