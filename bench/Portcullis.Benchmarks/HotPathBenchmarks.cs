using BenchmarkDotNet.Attributes;
using Portcullis.Audit;

namespace Portcullis.Benchmarks;

/// <summary>
/// Per-call work after the upstream answers: hashing one audit record into the chain. Baseline: copying a typical
/// tool result (about 2 KB of JSON) once, the least any proxy does with it. Inspecting that result is in
/// <see cref="ResultInspectionBenchmarks"/>.
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private readonly string _result = ResultInspectionBenchmarks.TicketList();
    private AuditRecord _record = null!;

    [GlobalSetup]
    public void Setup()
    {
        _record = new AuditRecord
        {
            Time = DateTimeOffset.UnixEpoch, Kind = "tools/call", Outcome = "success", Subject = "alice", Agent = "cli", Roles = ["dev", "ops"],
            AuthMethod = "member-token", TokenId = "tok_1", SessionId = "s1", ServerId = "tickets", Target = "search",
            PinHash = new string('a', 64), Arguments = "{\"query\":\"printer\"}", ArgumentsHash = new string('b', 64),
            Stages = ["route: ok [0.01]", "policy: allow (r1) [0.01]", "upstream: ok [1.2]"],
        };
    }

    [Benchmark(Baseline = true)]
    public string CopyResult() => new(_result.AsSpan());

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
