namespace Portcullis.Configuration;

/// <summary>Where secrets live: the embedded encrypted store (default) or HashiCorp Vault.</summary>
public sealed record SecretsConfig
{
    /// <summary>File holding the store's key (32 random bytes, base64), relative to the configuration; used when PORTCULLIS_SECRETS_KEY is not set.</summary>
    public string? KeyFile { get; init; }

    /// <summary>Secrets not rotated for this long are flagged as overdue.</summary>
    public TimeSpan RotationWarning { get; init; } = TimeSpan.FromDays(90);

    /// <summary>When set, secrets live in this Vault KV v2 engine instead of the gateway's database.</summary>
    public VaultConfig? Vault { get; init; }
}

/// <summary>A HashiCorp Vault KV version 2 secrets engine, reached over Vault's HTTP API.</summary>
public sealed record VaultConfig
{
    /// <summary>Vault's address, e.g. <c>https://vault.internal:8200</c>.</summary>
    public required Uri Address { get; init; }

    /// <summary>Mount path of the KV v2 engine.</summary>
    public string Mount { get; init; } = "secret";

    /// <summary>Folder under the mount that holds the gateway's secrets (one Vault secret per name, its value under <c>value</c>).</summary>
    public string Prefix { get; init; } = "portcullis";

    /// <summary>Vault Enterprise namespace, sent as <c>X-Vault-Namespace</c>.</summary>
    public string? Namespace { get; init; }

    /// <summary>Environment variable holding a Vault token (token auth).</summary>
    public string? TokenEnv { get; init; }

    /// <summary>File holding a Vault token (token auth; e.g. one written by Vault Agent).</summary>
    public string? TokenFile { get; init; }

    /// <summary>AppRole role id (AppRole auth).</summary>
    public string? RoleId { get; init; }

    /// <summary>Environment variable holding the AppRole secret id.</summary>
    public string? SecretIdEnv { get; init; }

    /// <summary>File holding the AppRole secret id.</summary>
    public string? SecretIdFile { get; init; }

    /// <summary>Mount path of the AppRole auth method.</summary>
    public string AppRoleMount { get; init; } = "approle";

    /// <summary>Longest time one request to Vault may take.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}
