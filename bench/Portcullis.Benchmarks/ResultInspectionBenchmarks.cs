using System.Text;
using BenchmarkDotNet.Attributes;
using Portcullis.Scanning;

namespace Portcullis.Benchmarks;

/// <summary>
/// What output inspection costs per tool result, by kind and size: the injection scan (<c>InspectStage</c>) and secret
/// redaction. Results: a 2 KB JSON list (the load benchmark's kind), 4 KB and 64 KB of prose as a file read or a web
/// page returns it (dashes and quotes outside ASCII, paths, URLs, an e-mail address). Baseline: copying the text once.
/// </summary>
[MemoryDiagnoser]
public class ResultInspectionBenchmarks
{
    private string _text = null!;

    [Params("json-2KB", "prose-4KB", "prose-64KB")]
    public string Result { get; set; } = null!;

    [GlobalSetup]
    public void Setup()
    {
        _text = Result switch
        {
            "json-2KB" => TicketList(),
            "prose-4KB" => Prose(4 * 1024),
            _ => Prose(64 * 1024),
        };
        if (ToolScanner.ScanInjection(_text, "result").Any())
        {
            throw new InvalidOperationException("the benchmark result should be clean");
        }
    }

    /// <summary>A list of 20 tickets as JSON, about 2 KB: the kind of result the load benchmark's server returns.</summary>
    internal static string TicketList()
    {
        var text = new StringBuilder("{\"tickets\":[");
        for (var i = 0; i < 20; i++)
        {
            text.Append($"{{\"id\":\"T-{1000 + i}\",\"title\":\"Printer on floor {i % 5} jams on duplex jobs\",\"state\":\"open\",\"assignee\":\"team-{i % 3}\"}},");
        }

        return text.Append("{}]}").ToString();
    }

    private static string Prose(int size)
    {
        string[] paragraphs =
        [
            "The deployment guide — revised for the spring release — describes how the service is rolled out to each region. Before you start, make sure the “staging” environment is healthy and that nobody else is running a migration.",
            "Configuration lives in config/production/settings.yaml and in src/Service.Api/appsettings.json; the loader reads both and the second one wins. See https://docs.example.com/deploy/regions for the list of regions and their owners.",
            "If a step fails, do not retry it blindly: read the log in /var/log/service/deploy.log, fix the cause and run the step again. Questions go to platform-team@example.com or to the #deployments channel.",
            "Each region keeps three replicas behind the load balancer. A replica that fails its health check twice in a row is taken out of rotation, and the on-call engineer is paged with the region, the replica and the last error.",
        ];
        var text = new StringBuilder(size + 512);
        for (var i = 0; text.Length < size; i++)
        {
            text.Append(paragraphs[i % paragraphs.Length]).Append("\n\n");
        }

        return text.ToString(0, size);
    }

    [Benchmark(Baseline = true)]
    public string CopyResult() => new(_text.AsSpan());

    [Benchmark]
    public int ScanForInjection() => ToolScanner.ScanInjection(_text, "result").Count();

    [Benchmark]
    public string RedactSecrets() => ToolScanner.RedactSecrets(_text, "result", out _);
}
