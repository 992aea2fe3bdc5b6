namespace Portcullis.Audit;

/// <summary>
/// Another writer (a replica sharing the store) extended the chain since this one last read its head: the batch was
/// not stored, and must be linked again after <paramref name="seq"/> and <paramref name="hash"/>.
/// </summary>
public sealed class AuditChainMovedException(long seq, string hash)
    : Exception($"the audit chain moved on to record {seq} while this batch was linked")
{
    /// <summary>The chain's last record now.</summary>
    public long Seq { get; } = seq;

    /// <summary>Its hash.</summary>
    public string Hash { get; } = hash;
}
