using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Portcullis.Audit;

/// <summary>The hash chain: how a record's hash is computed, and how a sequence of records is verified.</summary>
public static class AuditChain
{
    /// <summary>The previous hash of the first record.</summary>
    public static readonly string Genesis = new('0', 64);

    private static ReadOnlySpan<byte> EscapedReplacement => "\\uFFFD"u8;

    /// <summary>SHA-256 over the previous hash and the record's content (every field but <see cref="AuditRecord.Hash"/>).</summary>
    public static string HashOf(AuditRecord record) =>
        Hash(record.PrevHash, AuditRecordJson.WriteToThreadBuffer(record, record.Seq, record.PrevHash, ""));

    /// <summary>
    /// Links <paramref name="record"/> after the record with <paramref name="previousHash"/> at <paramref name="seq"/>,
    /// and returns it with the JSON (UTF-8) it is stored as. The record is serialized once:
    /// the hash covers that text with an empty <see cref="AuditRecord.Hash"/>, the last field, which is then filled in.
    /// </summary>
    public static LinkedAuditRecord LinkForStorage(AuditRecord record, long seq, string previousHash)
    {
        var content = AuditRecordJson.WriteToThreadBuffer(record, seq, previousHash, "");
        if (content.IndexOf(EscapedReplacement) >= 0)
        {
            // Text that is not valid UTF-16 (a lone surrogate, say from an agent or a cut result) is written as the
            // escaped replacement character but reads back as the character itself, which is written unescaped: the
            // record is hashed as it will read back, or verification would call it forged.
            record = JsonSerializer.Deserialize<AuditRecord>(content, AuditRecordJson.Options)!;
            content = AuditRecordJson.WriteToThreadBuffer(record, seq, previousHash, "");
        }

        var hash = Hash(previousHash, content);
        var linked = record with { Seq = seq, PrevHash = previousHash, Hash = hash };
        ReadOnlySpan<byte> emptyHash = "\"Hash\":\"\"}"u8;
        if (!content.EndsWith(emptyHash))
        {
            throw new InvalidOperationException("The audit record's JSON must end with its hash.");
        }

        // The stored text is the hashed one with the hash filled in before the closing quote and brace.
        var open = content.Length - 2;
        var json = new byte[open + hash.Length + 2];
        content[..open].CopyTo(json);
        Encoding.ASCII.GetBytes(hash, json.AsSpan(open));
        json[^2] = (byte)'"';
        json[^1] = (byte)'}';
        return new LinkedAuditRecord(linked, json);
    }

    /// <summary>Hex SHA-256 of the previous hash, a newline, and the record's content.</summary>
    private static string Hash(string previousHash, ReadOnlySpan<byte> content)
    {
        var prefix = Encoding.UTF8.GetByteCount(previousHash);
        var length = prefix + 1 + content.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        Encoding.UTF8.GetBytes(previousHash, buffer);
        buffer[prefix] = (byte)'\n';
        content.CopyTo(buffer.AsSpan(prefix + 1));
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(buffer.AsSpan(0, length), hash);
        ArrayPool<byte>.Shared.Return(buffer);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// The signed checkpoint a pruned chain starts after, or why there is none: records before the first stored one
    /// may only be missing if retention removed them up to a checkpoint that still vouches for where they ended.
    /// </summary>
    public static (Checkpoint? Anchor, string? Problem) AnchorOf(IReadOnlyList<AuditRecord> records, IEnumerable<Checkpoint> checkpoints, string publicKeyPem)
    {
        if (records.Count == 0 || records[0].Seq == 1)
        {
            return (null, null);
        }

        var first = records[0].Seq;
        var anchor = checkpoints.FirstOrDefault(c => c.Seq == first - 1);
        if (anchor is null)
        {
            return (null, $"records 1 to {first - 1} are missing and no signed checkpoint vouches for where they ended (deleted)");
        }

        return AuditSigner.Verify(anchor, publicKeyPem) ? (anchor, null) : (null, $"the checkpoint at record {anchor.Seq}, where retention pruned the chain, has an invalid signature");
    }

    /// <summary>
    /// Checks the checkpoints against the chain: each must be signed by <paramref name="publicKeyPem"/> and name a
    /// record that still has the hash it signed. A checkpoint beyond the chain's end means records were cut off.
    /// </summary>
    public static string? FirstCheckpointBreak(IReadOnlyList<AuditRecord> records, IEnumerable<Checkpoint> checkpoints, string publicKeyPem)
    {
        var bySeq = records.ToDictionary(r => r.Seq);
        var last = records.Count == 0 ? 0 : records[^1].Seq;
        var first = records.Count == 0 ? 1 : records[0].Seq;
        foreach (var checkpoint in checkpoints.OrderBy(c => c.Seq).Where(c => c.Seq >= first - 1))
        {
            if (!AuditSigner.Verify(checkpoint, publicKeyPem))
            {
                return $"the checkpoint at record {checkpoint.Seq} has an invalid signature";
            }

            if (checkpoint.Seq > last)
            {
                return $"the chain was truncated: a checkpoint vouches for record {checkpoint.Seq} but the chain ends at {last}";
            }

            if (checkpoint.Seq == first - 1)
            {
                continue; // the anchor of a pruned chain: checked by AnchorOf
            }

            if (!bySeq.TryGetValue(checkpoint.Seq, out var record) || record.Hash != checkpoint.Hash)
            {
                return $"record {checkpoint.Seq} differs from what its signed checkpoint vouches for: the chain was rewritten";
            }
        }

        return null;
    }

    /// <summary>
    /// Checks records in stored order. Returns null when the chain is whole, or what is wrong with the first record
    /// that breaks it: edited (its hash does not match its content), deleted or inserted (a gap or repeat in the
    /// sequence, or a link to the wrong predecessor), reordered.
    /// </summary>
    public static string? FirstBreak(IReadOnlyList<AuditRecord> records, Checkpoint? anchor = null)
    {
        // After retention pruned the oldest records, the chain starts right after a signed checkpoint.
        var expectedSeq = (anchor?.Seq ?? 0) + 1;
        var previous = anchor?.Hash ?? Genesis;
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            if (record.Seq != expectedSeq)
            {
                var seq = expectedSeq;
                if (records.Skip(i + 1).Any(r => r.Seq == seq))
                {
                    return $"record {record.Seq} appears where record {expectedSeq} belongs: records were reordered";
                }

                return record.Seq > expectedSeq
                    ? $"record {expectedSeq} is missing: the chain jumps from {expectedSeq - 1} to {record.Seq} (deleted)"
                    : $"record {record.Seq} appears again after {expectedSeq - 1}: a record was inserted";
            }

            if (HashOf(record) != record.Hash)
            {
                return $"record {record.Seq} was edited or forged: its content no longer matches its hash";
            }

            if (record.PrevHash != previous)
            {
                return $"record {record.Seq} does not follow record {record.Seq - 1}: the chain was rewritten, reordered or a record was inserted";
            }

            previous = record.Hash;
            expectedSeq++;
        }

        return null;
    }
}
