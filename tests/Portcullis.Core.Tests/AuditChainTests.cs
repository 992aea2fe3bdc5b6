using System.Text.Json;
using Portcullis.Audit;

namespace Portcullis.Core.Tests;

public class AuditChainTests
{
    private static AuditRecord Record(string arguments, string summary) => new()
    {
        Time = new DateTimeOffset(2026, 11, 22, 9, 30, 0, TimeSpan.Zero),
        Kind = "tools/call",
        Subject = "zoë",
        Roles = ["support", "on-call"],
        Target = "tickets__get_ticket",
        Arguments = arguments,
        Stages = ["policy: allow (rule support-read) [0.01 ms]"],
        Outcome = "success",
        ResultSummary = summary,
        Actions = ["redacted: email"],
        LatencyMs = 1.25,
    };

    [Fact]
    public void The_stored_text_reads_back_as_the_linked_record_and_its_hash_verifies()
    {
        // Text a user may send: quotes, backslashes, newlines, HTML, accents, CJK, an emoji, a lone surrogate.
        var records = new[]
        {
            Record("""{"title":"say \"hi\"\\n<b>now</b>"}""", "ok"),
            Record("""{"title":"日本語 ✓ 🚀"}""", "line one\nline two\t\u0001"),
            Record("""{"title":"escaped \ud800 text"}""", "a lone surrogate \ud800 here"),
        };

        var previous = AuditChain.Genesis;
        var stored = new List<AuditRecord>();
        for (var i = 0; i < records.Length; i++)
        {
            var linked = AuditChain.LinkForStorage(records[i], i + 1, previous);
            var read = JsonSerializer.Deserialize<AuditRecord>(linked.Json)!;

            Assert.Equal(i + 1, read.Seq);
            Assert.Equal(previous, read.PrevHash);
            Assert.Equal(linked.Record.Hash, read.Hash);
            Assert.Equal(64, read.Hash.Length);
            Assert.Equal(linked.Record.Arguments, read.Arguments);
            // Text that is not valid UTF-16 is stored with U+FFFD in its place, and the hash covers what is stored.
            Assert.Equal(records[i].ResultSummary!.Replace('\ud800', '\ufffd'), read.ResultSummary);
            Assert.Equal(linked.Record.ResultSummary, read.ResultSummary);
            Assert.Equal(["support", "on-call"], read.Roles);
            Assert.Equal(read.Hash, AuditChain.HashOf(read));
            stored.Add(read);
            previous = read.Hash;
        }

        Assert.Null(AuditChain.FirstBreak(stored));
        stored[1] = stored[1] with { ResultSummary = "line one" };
        Assert.Equal("record 2 was edited or forged: its content no longer matches its hash", AuditChain.FirstBreak(stored));
    }

    [Fact]
    public void The_record_writer_writes_what_the_serializer_writes_so_chains_stored_before_it_still_verify()
    {
        // Records stored before the hand-written writer were serialized by JsonSerializer with these options, and
        // verification re-serializes every record: any byte of difference would call a whole stored chain forged.
        var full = Record("""{"title":"say \"hi\"\\n<b>now</b> & 'x'"}""", "日本語 ✓ 🚀\n\t\u0001 \u007f \u2028") with
        {
            Seq = 9_007_199_254_740_993, TraceId = "4bf92f3577b34da6a3ce929d0e0e4736", Agent = "cli", Tenant = "acme",
            AuthMethod = "MemberToken", TokenId = "tok_1", SessionId = "s-1", ServerId = "tickets", PinHash = new string('a', 64),
            ArgumentsHash = new string('b', 64), PolicyRule = "support-read", PolicyVersion = "v3", Reason = "because",
            Time = new DateTimeOffset(2026, 12, 2, 13, 4, 5, 123, TimeSpan.FromHours(-5)).AddTicks(4567),
            PrevHash = AuditChain.Genesis, Hash = new string('c', 64),
        };
        var records = new[]
        {
            full,
            new AuditRecord { Time = DateTimeOffset.UnixEpoch, Kind = "admin:kill", Outcome = "denied" },
            full with { Roles = null!, Stages = [], Actions = null!, Subject = null, Hash = "" },
            full with { LatencyMs = 0.1 + 0.2 },
            full with { LatencyMs = 1e-7, Seq = -1 },
            full with { LatencyMs = 123456789.125, ResultSummary = "a lone surrogate \ud800 and \udc00 here" },
            full with { Time = DateTimeOffset.MaxValue, Stages = ["x", null!, ""] },
        };

        foreach (var record in records)
        {
            Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(record, AuditRecordJson.Options), AuditRecordJson.WriteToThreadBuffer(record, record.Seq, record.PrevHash, record.Hash).ToArray());
        }
    }
}
