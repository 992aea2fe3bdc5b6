using Portcullis.Configuration;
using Portcullis.Secrets;

namespace Portcullis.Storage.Sqlite;

/// <summary>The secret store a configuration names: Vault when <c>secrets.vault</c> is set, else the encrypted table in <paramref name="database"/>.</summary>
public static class SecretStores
{
    /// <summary>Opens the store of <paramref name="config"/>.</summary>
    public static ISecretStore Open(GatewayConfig config, SqliteDatabase database) => config.Secrets.Vault is { } vault
        ? new VaultSecretStore(vault, new HttpClient { Timeout = vault.Timeout }, config.PathFromConfig)
        : new SqliteSecretStore(database, SecretsKey.Load(config).Key);
}
