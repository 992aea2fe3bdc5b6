using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Portcullis.Secrets;

namespace Portcullis.Storage.Sqlite;

/// <summary>
/// Secrets encrypted at rest in SQLite with AES-256-GCM: a fresh nonce per write, the secret's name as associated
/// data (a ciphertext moved to another name does not decrypt). Without a key the store refuses to read or write.
/// </summary>
public sealed class SqliteSecretStore(SqliteDatabase database, byte[]? key) : ISecretStore
{
    /// <inheritdoc />
    public async Task<(string Value, long Version)?> GetAsync(string name, CancellationToken cancellationToken)
    {
        var aes = Cipher();
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT nonce, ciphertext, tag, version FROM secrets WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var nonce = (byte[])reader.GetValue(0);
        var ciphertext = (byte[])reader.GetValue(1);
        var tag = (byte[])reader.GetValue(2);
        var plain = new byte[ciphertext.Length];
        aes.Decrypt(nonce, ciphertext, tag, plain, Encoding.UTF8.GetBytes(name));
        return (Encoding.UTF8.GetString(plain), reader.GetInt64(3));
    }

    /// <inheritdoc />
    public async Task<long> SetAsync(string name, string value, CancellationToken cancellationToken)
    {
        var aes = Cipher();
        var nonce = RandomNumberGenerator.GetBytes(AesGcm.NonceByteSizes.MaxSize);
        var plain = Encoding.UTF8.GetBytes(value);
        var ciphertext = new byte[plain.Length];
        var tag = new byte[AesGcm.TagByteSizes.MaxSize];
        aes.Encrypt(nonce, plain, ciphertext, tag, Encoding.UTF8.GetBytes(name));
        var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO secrets (name, nonce, ciphertext, tag, version, created_at, updated_at) VALUES ($name, $nonce, $ciphertext, $tag, 1, $now, $now)
            ON CONFLICT(name) DO UPDATE SET nonce = $nonce, ciphertext = $ciphertext, tag = $tag, version = version + 1, updated_at = $now
            RETURNING version
            """;
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$nonce", nonce);
        command.Parameters.AddWithValue("$ciphertext", ciphertext);
        command.Parameters.AddWithValue("$tag", tag);
        command.Parameters.AddWithValue("$now", now);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM secrets WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SecretInfo>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, version, created_at, updated_at FROM secrets ORDER BY name";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var secrets = new List<SecretInfo>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            secrets.Add(new SecretInfo(reader.GetString(0), reader.GetInt64(1), DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture), DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture)));
        }

        return secrets;
    }

    private AesGcm Cipher() => key is { Length: 32 }
        ? new AesGcm(key, AesGcm.TagByteSizes.MaxSize)
        : throw new SecretUnavailableException("the secret store has no key: set PORTCULLIS_SECRETS_KEY (32 random bytes, base64) or secrets.keyFile");
}
