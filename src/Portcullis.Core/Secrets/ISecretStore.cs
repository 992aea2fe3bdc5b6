namespace Portcullis.Secrets;

/// <summary>Where named secrets live. Values leave it only to be injected into an upstream connection.</summary>
public interface ISecretStore
{
    /// <summary>The current value and version of a secret, or null when there is none.</summary>
    Task<(string Value, long Version)?> GetAsync(string name, CancellationToken cancellationToken);

    /// <summary>Sets (creates or rotates) a secret; returns its new version.</summary>
    Task<long> SetAsync(string name, string value, CancellationToken cancellationToken);

    /// <summary>Deletes a secret; false when there was none.</summary>
    Task<bool> DeleteAsync(string name, CancellationToken cancellationToken);

    /// <summary>Names, versions and ages — never values.</summary>
    Task<IReadOnlyList<SecretInfo>> ListAsync(CancellationToken cancellationToken);
}

/// <summary>What may be shown about a secret.</summary>
public sealed record SecretInfo(string Name, long Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
