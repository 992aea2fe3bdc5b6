using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Portcullis.Identity;

namespace Portcullis.Storage.Sqlite;

/// <summary>
/// Member tokens in SQLite. Lists (roles, servers) are stored as JSON arrays. Every request with a member token looks
/// its record up, so the records of live tokens are kept in memory until a revocation, in this process or any other
/// (the CLI writes straight to the file), advances the shared <see cref="RevocationEpoch"/>: a revocation holds from
/// the next request, and the next request after it reads the database again.
/// </summary>
public sealed class SqliteMemberTokenStore(SqliteDatabase database) : IMemberTokenStore, IDisposable
{
    private const string Columns = "id, member, kind, roles, servers, agent, tenant, secret_hash, created_at, expires_at, revoked_at, created_by";

    // Beyond this many live tokens, the kept records are dropped and gathered again.
    private const int MaxKept = 100_000;

    private readonly PreparedStatement _find = new(database, $"SELECT {Columns} FROM member_tokens WHERE id = $id", [("$id", SqliteType.Text)]);
    private readonly RevocationEpoch _epoch = new(database.Path);
    private readonly ConcurrentDictionary<string, (MemberToken Record, long Epoch)> _kept = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public async Task AddAsync(MemberToken token, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO member_tokens ({Columns}) VALUES ($id, $member, $kind, $roles, $servers, $agent, $tenant, $hash, $created, $expires, NULL, $by)";
        command.Parameters.AddWithValue("$id", token.Id);
        command.Parameters.AddWithValue("$member", token.Member);
        command.Parameters.AddWithValue("$kind", token.Kind.ToString());
        command.Parameters.AddWithValue("$roles", JsonSerializer.Serialize(token.Roles));
        command.Parameters.AddWithValue("$servers", token.Servers is null ? DBNull.Value : JsonSerializer.Serialize(token.Servers));
        command.Parameters.AddWithValue("$agent", (object?)token.Agent ?? DBNull.Value);
        command.Parameters.AddWithValue("$tenant", (object?)token.Tenant ?? DBNull.Value);
        command.Parameters.AddWithValue("$hash", token.SecretHash);
        command.Parameters.AddWithValue("$created", Format(token.CreatedAt));
        command.Parameters.AddWithValue("$expires", Format(token.ExpiresAt));
        command.Parameters.AddWithValue("$by", token.CreatedBy);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<MemberToken?> FindAsync(string id, CancellationToken cancellationToken)
    {
        // The epoch is read before the database: a record read after a revocation began may carry the older count,
        // which only costs one more read; a record read before it can never carry the newer one.
        var keeping = _epoch.TryRead(out var epoch);
        if (keeping && _kept.TryGetValue(id, out var kept) && kept.Epoch == epoch)
        {
            return ValueTask.FromResult<MemberToken?>(kept.Record);
        }

        var record = _find.Run(id, static (command, id) =>
        {
            command.Parameters[0].Value = id;
            using var reader = command.ExecuteReader();
            return reader.Read() ? Read(reader) : null;
        });
        if (keeping && record is { RevokedAt: null })
        {
            if (_kept.Count >= MaxKept)
            {
                _kept.Clear();
            }

            _kept[id] = (record, epoch);
        }

        return ValueTask.FromResult(record);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _find.Dispose();
        _epoch.Dispose();
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<MemberToken>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM member_tokens ORDER BY created_at DESC";
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
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE member_tokens SET revoked_at = COALESCE(revoked_at, $at) WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$at", Format(at));
        var revoked = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        _epoch.Advance();
        return revoked;
    }

    /// <inheritdoc />
    public async Task<bool> AnyActiveWithRoleAsync(string role, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM member_tokens, json_each(member_tokens.roles) WHERE json_each.value = $role AND revoked_at IS NULL AND expires_at > $now LIMIT 1";
        command.Parameters.AddWithValue("$role", role);
        command.Parameters.AddWithValue("$now", Format(now));
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
    }

    private static MemberToken Read(SqliteDataReader reader) => new()
    {
        Id = reader.GetString(0),
        Member = reader.GetString(1),
        Kind = Enum.Parse<SubjectKind>(reader.GetString(2)),
        Roles = JsonSerializer.Deserialize<string[]>(reader.GetString(3)) ?? [],
        Servers = reader.IsDBNull(4) ? null : JsonSerializer.Deserialize<string[]>(reader.GetString(4)),
        Agent = reader.IsDBNull(5) ? null : reader.GetString(5),
        Tenant = reader.IsDBNull(6) ? null : reader.GetString(6),
        SecretHash = (byte[])reader.GetValue(7),
        CreatedAt = Parse(reader.GetString(8)),
        ExpiresAt = Parse(reader.GetString(9)),
        RevokedAt = reader.IsDBNull(10) ? null : Parse(reader.GetString(10)),
        CreatedBy = reader.GetString(11),
    };

    private static string Format(DateTimeOffset at) => at.UtcDateTime.ToString(SqliteDatabase.TimeFormat, CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
