using Portcullis.Secrets;

namespace Portcullis.Storage.Postgres;

/// <summary>Secrets in PostgreSQL, encrypted at rest (<see cref="SecretCipher"/>); every replica needs the same key.</summary>
public sealed class PostgresSecretStore(PostgresDatabase database, byte[]? key) : ISecretStore
{
    private readonly SecretCipher _cipher = new(key);

    /// <inheritdoc />
    public async Task<(string Value, long Version)?> GetAsync(string name, CancellationToken cancellationToken)
    {
        _cipher.EnsureKey();
        await using var command = database.Command("SELECT nonce, ciphertext, tag, version FROM secrets WHERE name = $1");
        command.Parameters.Add(new() { Value = name });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var stored = new SecretCipher.Sealed(reader.GetFieldValue<byte[]>(0), reader.GetFieldValue<byte[]>(1), reader.GetFieldValue<byte[]>(2));
        return (_cipher.Open(name, stored), reader.GetInt64(3));
    }

    /// <inheritdoc />
    public async Task<long> SetAsync(string name, string value, CancellationToken cancellationToken)
    {
        var (nonce, ciphertext, tag) = _cipher.Seal(name, value);
        await using var command = database.Command(
            """
            INSERT INTO secrets (name, nonce, ciphertext, tag, version, created_at, updated_at) VALUES ($1, $2, $3, $4, 1, now(), now())
            ON CONFLICT (name) DO UPDATE SET nonce = excluded.nonce, ciphertext = excluded.ciphertext, tag = excluded.tag,
                version = secrets.version + 1, updated_at = excluded.updated_at
            RETURNING version
            """);
        command.Parameters.Add(new() { Value = name });
        command.Parameters.Add(new() { Value = nonce });
        command.Parameters.Add(new() { Value = ciphertext });
        command.Parameters.Add(new() { Value = tag });
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = database.Command("DELETE FROM secrets WHERE name = $1");
        command.Parameters.Add(new() { Value = name });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SecretInfo>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = database.Command("SELECT name, version, created_at, updated_at FROM secrets ORDER BY name");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var secrets = new List<SecretInfo>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            secrets.Add(new SecretInfo(reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return secrets;
    }
}
