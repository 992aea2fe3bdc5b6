namespace Portcullis.Audit;

/// <summary>Append-only storage of the audit chain.</summary>
public interface IAuditStore
{
    /// <summary>Where the chain ends: the last record's seq and hash, or null when the chain is empty.</summary>
    Task<(long Seq, string Hash)?> HeadAsync(CancellationToken cancellationToken);

    /// <summary>Appends records (already linked, with the JSON to store) in one durable transaction.</summary>
    Task AppendAsync(IReadOnlyList<LinkedAuditRecord> records, CancellationToken cancellationToken);

    /// <summary>Records matching a query, oldest first.</summary>
    Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken);

    /// <summary>Stores a signed checkpoint.</summary>
    Task AddCheckpointAsync(Checkpoint checkpoint, CancellationToken cancellationToken);

    /// <summary>All checkpoints, oldest first.</summary>
    Task<IReadOnlyList<Checkpoint>> ListCheckpointsAsync(CancellationToken cancellationToken);

    /// <summary>Deletes records up to and including <paramref name="seq"/> (retention); checkpoints stay.</summary>
    Task PruneAsync(long seq, CancellationToken cancellationToken);

    /// <summary>Every record in stored order, for verification.</summary>
    IAsyncEnumerable<AuditRecord> ReadAllAsync(CancellationToken cancellationToken);
}

/// <summary>A record linked into the chain, and the UTF-8 JSON it is stored as (the text its hash covers, hash filled in).</summary>
public readonly record struct LinkedAuditRecord(AuditRecord Record, byte[] Json);
