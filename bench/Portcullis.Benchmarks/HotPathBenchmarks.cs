using System.Text;
using BenchmarkDotNet.Attributes;
using Portcullis.Audit;
using Portcullis.Scanning;

namespace Portcullis.Benchmarks;

/// <summary>
/// Per-call work after the upstream answers: inspecting a typical tool result (about 2 KB of JSON-ish text) for
/// injected instructions and leaked secrets, and hashing one audit record into the chain. Baseline: copying the
/// result text once, the least any proxy does with it.
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private string _result = null!;
    private AuditRecord _record = null!;

    [GlobalSetup]
    public void Setup()
    {
        var text = new StringBuilder("{\"tickets\":[");
        for (var i = 0; i < 20; i++)
        {
            text.Append($"{{\"id\":\"T-{1000 + i}\",\"title\":\"Printer on floor {i % 5} jams on duplex jobs\",\"state\":\"open\",\"assignee\":\"team-{i % 3}\"}},");
        }

        _result = text.Append("{}]}").ToString();
        _record = new AuditRecord
        {
            Time = DateTimeOffset.UnixEpoch, Kind = "tools/call", Outcome = "success", Subject = "alice", Agent = "cli", Roles = ["dev", "ops"],
            AuthMethod = "member-token", TokenId = "tok_1", SessionId = "s1", ServerId = "tickets", Target = "search",
            PinHash = new string('a', 64), Arguments = "{\"query\":\"printer\"}", ArgumentsHash = new string('b', 64),
            Stages = ["route: ok [0.01]", "policy: allow (r1) [0.01]", "upstream: ok [1.2]"],
        };
        if (ToolScanner.ScanContent(_result, "result").Count != 0)
        {
            throw new InvalidOperationException("the benchmark result should be clean");
        }
    }

    [Benchmark(Baseline = true)]
    public string CopyResult() => new(_result.AsSpan());

    [Benchmark]
    public int ScanResultForInjection() => ToolScanner.ScanContent(_result, "result").Count;

    [Benchmark]
    public int ScanResultForInjectionOnly() => ToolScanner.ScanInjection(_result, "result").Count();

    [Benchmark]
    public string RedactResultSecrets() => ToolScanner.RedactSecrets(_result, "result", out _);

    [Benchmark]
    public string HashAuditRecord() => AuditChain.HashOf(_record);

    /// <summary>What the audit log does per record: link, hash and the text to store, from one serialization.</summary>
    [Benchmark]
    public byte[] LinkAuditRecordForStorage() => AuditChain.LinkForStorage(_record, 7, AuditChain.Genesis).Json;

    /// <summary>The same result the way it was done before: serialized once for the hash and again for storage.</summary>
    [Benchmark]
    public string LinkAuditRecordSerializingTwice()
    {
        var linked = _record with { Seq = 7, PrevHash = AuditChain.Genesis, Hash = "" };
        return System.Text.Json.JsonSerializer.Serialize(linked with { Hash = AuditChain.HashOf(linked) });
    }
}
