using Portcullis.Limits;

namespace Portcullis.Storage.Postgres;

/// <summary>Kill switches in PostgreSQL; engaging or releasing one tells every replica (<see cref="PostgresChanges"/>).</summary>
public sealed class PostgresKillSwitchStore(PostgresDatabase database) : IKillSwitchStore
{
    /// <summary>What a change to the switches is announced as.</summary>
    public const string Change = "kill_switches";

    /// <inheritdoc />
    public async Task<IReadOnlyList<KillSwitch>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = database.Command("SELECT target, id, engaged_at, engaged_by, reason FROM kill_switches ORDER BY engaged_at");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var kills = new List<KillSwitch>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            kills.Add(new KillSwitch(Enum.Parse<KillTarget>(reader.GetString(0)), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
        }

        return kills;
    }

    /// <inheritdoc />
    public async Task EngageAsync(KillSwitch kill, CancellationToken cancellationToken)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = new Npgsql.NpgsqlCommand(
            """
            INSERT INTO kill_switches (target, id, engaged_at, engaged_by, reason) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (target, id) DO UPDATE SET engaged_at = excluded.engaged_at, engaged_by = excluded.engaged_by, reason = excluded.reason
            """, connection, transaction))
        {
            command.Parameters.Add(new() { Value = kill.Target.ToString() });
            command.Parameters.Add(new() { Value = kill.Id });
            command.Parameters.Add(new() { Value = kill.EngagedAt.ToUniversalTime() });
            command.Parameters.Add(new() { Value = kill.EngagedBy });
            command.Parameters.Add(new() { Value = (object?)kill.Reason ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await PostgresDatabase.NotifyAsync(connection, transaction, Change, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> ReleaseAsync(KillTarget target, string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        bool released;
        await using (var command = new Npgsql.NpgsqlCommand("DELETE FROM kill_switches WHERE target = $1 AND id = $2", connection, transaction))
        {
            command.Parameters.Add(new() { Value = target.ToString() });
            command.Parameters.Add(new() { Value = id });
            released = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }

        await PostgresDatabase.NotifyAsync(connection, transaction, Change, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return released;
    }
}
