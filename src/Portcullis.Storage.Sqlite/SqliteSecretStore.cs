using System.Globalization;
using Portcullis.Secrets;

namespace Portcullis.Storage.Sqlite;

/// <summary>Secrets in SQLite, encrypted at rest (<see cref="SecretCipher"/>).</summary>
public sealed class SqliteSecretStore(SqliteDatabase database, byte[]? key) : ISecretStore
{
    private readonly SecretCipher _cipher = new(key);

    /// <inheritdoc />
    public async Task<(string Value, long Version)?> GetAsync(string name, CancellationToken cancellationToken)
    {
        _cipher.EnsureKey();
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT nonce, ciphertext, tag, version FROM secrets WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var stored = new SecretCipher.Sealed((byte[])reader.GetValue(0), (byte[])reader.GetValue(1), (byte[])reader.GetValue(2));
        return (_cipher.Open(name, stored), reader.GetInt64(3));
    }

    /// <inheritdoc />
    public async Task<long> SetAsync(string name, string value, CancellationToken cancellationToken)
    {
        var (nonce, ciphertext, tag) = _cipher.Seal(name, value);
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
}
