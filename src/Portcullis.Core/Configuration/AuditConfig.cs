namespace Portcullis.Configuration;

/// <summary>Audit chain settings.</summary>
public sealed record AuditConfig
{
    /// <summary>Sign a checkpoint after this many records.</summary>
    public int CheckpointEvery { get; init; } = 1000;

    /// <summary>Or after this long, when there are new records.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The checkpoint signing key (PEM), relative to the configuration file; created on first start.</summary>
    public string SigningKey { get; init; } = ".portcullis/audit-signing-key.pem";
}
