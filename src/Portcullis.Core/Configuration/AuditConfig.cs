namespace Portcullis.Configuration;

/// <summary>Audit chain settings.</summary>
public sealed record AuditConfig
{
    /// <summary>Sign a checkpoint after this many records.</summary>
    public int CheckpointEvery { get; init; } = 1000;

    /// <summary>Or after this long, when there are new records.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Records older than this are deleted, up to the newest signed checkpoint that old (which keeps the rest verifiable). Null keeps everything.</summary>
    public TimeSpan? Retention { get; init; }

    /// <summary>
    /// Flush every commit to stable storage (fsync) before the calls it carries are answered, so records survive a power
    /// loss or OS crash too. Off, a commit survives a crash or kill of the gateway, and a power loss may lose the
    /// last commits (whole, at the end of the chain); on, each commit (a batch of calls under load) costs a flush.
    /// </summary>
    public bool Fsync { get; init; }

    /// <summary>The checkpoint signing key (PEM), relative to the configuration file; created on first start.</summary>
    public string SigningKey { get; init; } = ".portcullis/audit-signing-key.pem";
}
