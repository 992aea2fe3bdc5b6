using Npgsql;
using Portcullis.Registry;

namespace Portcullis.Storage.Postgres;

/// <summary>The registry in PostgreSQL; a change to a server's state or pins tells every replica (<see cref="PostgresChanges"/>).</summary>
public sealed class PostgresRegistryStore(PostgresDatabase database) : IRegistryStore
{
    /// <summary>What a change to the registry is announced as.</summary>
    public const string Change = "registry";

    /// <inheritdoc />
    public async Task<IReadOnlyList<ServerRecord>> ListServersAsync(CancellationToken cancellationToken)
    {
        await using var command = database.Command("SELECT id, state, approved_by, approved_at, justification, updated_at FROM registry_servers");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var records = new List<ServerRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            records.Add(new ServerRecord(reader.GetString(0), Enum.Parse<ServerState>(reader.GetString(1)), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5)));
        }

        return records;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<Pin>>> ListPinsAsync(CancellationToken cancellationToken)
    {
        await using var command = database.Command("SELECT server_id, kind, name, hash, canonical FROM registry_pins");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var pins = new Dictionary<string, List<Pin>>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var server = reader.GetString(0);
            (pins.TryGetValue(server, out var list) ? list : pins[server] = []).Add(new Pin(reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4)));
        }

        return pins.ToDictionary(p => p.Key, p => (IReadOnlyList<Pin>)p.Value, StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public async Task SaveServerAsync(ServerRecord record, CancellationToken cancellationToken) =>
        await database.WriteAndAnnounceAsync(Change, (connection, transaction) => SaveAsync(connection, transaction, record, cancellationToken), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task ApproveAsync(ServerRecord record, IReadOnlyList<Pin> pins, string diff, CancellationToken cancellationToken) =>
        await database.WriteAndAnnounceAsync(Change, async (connection, transaction) =>
        {
            await SaveAsync(connection, transaction, record, cancellationToken).ConfigureAwait(false);
            await using (var delete = new NpgsqlCommand("DELETE FROM registry_pins WHERE server_id = $1", connection, transaction))
            {
                delete.Parameters.Add(new() { Value = record.Id });
                await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using (var insert = new NpgsqlCommand(
                "INSERT INTO registry_pins (server_id, kind, name, hash, canonical) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])", connection, transaction))
            {
                insert.Parameters.Add(new() { Value = record.Id });
                insert.Parameters.Add(new() { Value = pins.Select(p => p.Kind).ToArray() });
                insert.Parameters.Add(new() { Value = pins.Select(p => p.Name).ToArray() });
                insert.Parameters.Add(new() { Value = pins.Select(p => p.Hash).ToArray() });
                insert.Parameters.Add(new() { Value = pins.Select(p => p.Canonical).ToArray() });
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using var history = new NpgsqlCommand(
                "INSERT INTO registry_approvals (server_id, approved_by, at, justification, diff) VALUES ($1, $2, $3, $4, $5)", connection, transaction);
            history.Parameters.Add(new() { Value = record.Id });
            history.Parameters.Add(new() { Value = record.ApprovedBy ?? "" });
            history.Parameters.Add(new() { Value = (record.ApprovedAt ?? record.UpdatedAt).ToUniversalTime() });
            history.Parameters.Add(new() { Value = (object?)record.Justification ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            history.Parameters.Add(new() { Value = diff });
            return await history.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

    private static async Task<int> SaveAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ServerRecord record, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO registry_servers (id, state, approved_by, approved_at, justification, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (id) DO UPDATE SET state = excluded.state, approved_by = excluded.approved_by, approved_at = excluded.approved_at,
                justification = excluded.justification, updated_at = excluded.updated_at
            """, connection, transaction);
        command.Parameters.Add(new() { Value = record.Id });
        command.Parameters.Add(new() { Value = record.State.ToString() });
        command.Parameters.Add(new() { Value = (object?)record.ApprovedBy ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = record.ApprovedAt is { } at ? at.ToUniversalTime() : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new() { Value = (object?)record.Justification ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = record.UpdatedAt.ToUniversalTime() });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
