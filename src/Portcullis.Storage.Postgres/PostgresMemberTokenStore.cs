using Npgsql;
using Portcullis.Identity;

namespace Portcullis.Storage.Postgres;

/// <summary>
/// Member tokens in PostgreSQL. Every lookup reads the database, so a revocation made through any replica (or the
/// CLI) holds on every replica from the next request; nothing is kept that another replica could have revoked.
/// </summary>
public sealed class PostgresMemberTokenStore(PostgresDatabase database) : IMemberTokenStore
{
    private const string Columns = "id, member, kind, roles, servers, agent, tenant, secret_hash, created_at, expires_at, revoked_at, created_by";

    /// <inheritdoc />
    public async Task AddAsync(MemberToken token, CancellationToken cancellationToken)
    {
        await using var command = database.Command($"INSERT INTO member_tokens ({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11)");
        command.Parameters.Add(new() { Value = token.Id });
        command.Parameters.Add(new() { Value = token.Member });
        command.Parameters.Add(new() { Value = token.Kind.ToString() });
        command.Parameters.Add(new() { Value = token.Roles.ToArray() });
        command.Parameters.Add(new() { Value = (object?)token.Servers?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)token.Agent ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)token.Tenant ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = token.SecretHash });
        command.Parameters.Add(new() { Value = token.CreatedAt.ToUniversalTime() });
        command.Parameters.Add(new() { Value = token.ExpiresAt.ToUniversalTime() });
        command.Parameters.Add(new() { Value = token.CreatedBy });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<MemberToken?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = database.Command($"SELECT {Columns} FROM member_tokens WHERE id = $1");
        command.Parameters.Add(new() { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<MemberToken>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = database.Command($"SELECT {Columns} FROM member_tokens ORDER BY created_at DESC");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var tokens = new List<MemberToken>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            tokens.Add(Read(reader));
        }

        return tokens;
    }

    /// <inheritdoc />
    public async Task<bool> RevokeAsync(string id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var command = database.Command("UPDATE member_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1");
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = at.ToUniversalTime() });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<bool> AnyActiveWithRoleAsync(string role, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = database.Command("SELECT 1 FROM member_tokens WHERE $1 = ANY (roles) AND revoked_at IS NULL AND expires_at > $2 LIMIT 1");
        command.Parameters.Add(new() { Value = role });
        command.Parameters.Add(new() { Value = now.ToUniversalTime() });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
    }

    private static MemberToken Read(NpgsqlDataReader reader) => new()
    {
        Id = reader.GetString(0),
        Member = reader.GetString(1),
        Kind = Enum.Parse<SubjectKind>(reader.GetString(2)),
        Roles = reader.GetFieldValue<string[]>(3),
        Servers = reader.IsDBNull(4) ? null : reader.GetFieldValue<string[]>(4),
        Agent = reader.IsDBNull(5) ? null : reader.GetString(5),
        Tenant = reader.IsDBNull(6) ? null : reader.GetString(6),
        SecretHash = reader.GetFieldValue<byte[]>(7),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>(8),
        ExpiresAt = reader.GetFieldValue<DateTimeOffset>(9),
        RevokedAt = reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
        CreatedBy = reader.GetString(11),
    };
}
