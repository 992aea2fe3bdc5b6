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

    /// <summary>The checkpoint signing key (PEM), relative to the configuration file; created on first start.</summary>
    public string SigningKey { get; init; } = ".portcullis/audit-signing-key.pem";
}
