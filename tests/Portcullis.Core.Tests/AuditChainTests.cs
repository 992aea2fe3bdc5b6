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
}
