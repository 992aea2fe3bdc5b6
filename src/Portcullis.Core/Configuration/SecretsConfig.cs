namespace Portcullis.Configuration;

/// <summary>The embedded secret store.</summary>
public sealed record SecretsConfig
{
    /// <summary>File holding the store's key (32 random bytes, base64), relative to the configuration; used when PORTCULLIS_SECRETS_KEY is not set.</summary>
    public string? KeyFile { get; init; }

    /// <summary>Secrets not rotated for this long are flagged as overdue.</summary>
    public TimeSpan RotationWarning { get; init; } = TimeSpan.FromDays(90);
}
