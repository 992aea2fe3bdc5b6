using System.Globalization;
using Microsoft.Data.Sqlite;
using Portcullis.Registry;

namespace Portcullis.Storage.Sqlite;

/// <summary>The registry in SQLite: server records, pins, and the history of approvals with the diffs approved.</summary>
public sealed class SqliteRegistryStore(SqliteDatabase database) : IRegistryStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<ServerRecord>> ListServersAsync(CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, state, approved_by, approved_at, justification, updated_at FROM registry_servers";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var records = new List<ServerRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            records.Add(new ServerRecord(reader.GetString(0), Enum.Parse<ServerState>(reader.GetString(1)), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : Parse(reader.GetString(3)), reader.IsDBNull(4) ? null : reader.GetString(4), Parse(reader.GetString(5))));
        }

        return records;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<Pin>>> ListPinsAsync(CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT server_id, kind, name, hash, canonical FROM registry_pins";
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
    public async Task SaveServerAsync(ServerRecord record, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await SaveAsync(connection, null, record, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task ApproveAsync(ServerRecord record, IReadOnlyList<Pin> pins, string diff, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var transaction = connection.BeginTransaction();
        await SaveAsync(connection, transaction, record, cancellationToken).ConfigureAwait(false);
        await using (var delete = connection.CreateCommand())
        {
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM registry_pins WHERE server_id = $id";
            delete.Parameters.AddWithValue("$id", record.Id);
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var pin in pins)
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO registry_pins (server_id, kind, name, hash, canonical) VALUES ($id, $kind, $name, $hash, $canonical)";
            insert.Parameters.AddWithValue("$id", record.Id);
            insert.Parameters.AddWithValue("$kind", pin.Kind);
            insert.Parameters.AddWithValue("$name", pin.Name);
            insert.Parameters.AddWithValue("$hash", pin.Hash);
            insert.Parameters.AddWithValue("$canonical", pin.Canonical);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var history = connection.CreateCommand())
        {
            history.Transaction = transaction;
            history.CommandText = "INSERT INTO registry_approvals (server_id, approved_by, at, justification, diff) VALUES ($id, $by, $at, $why, $diff)";
            history.Parameters.AddWithValue("$id", record.Id);
            history.Parameters.AddWithValue("$by", record.ApprovedBy ?? "");
            history.Parameters.AddWithValue("$at", Format(record.ApprovedAt ?? record.UpdatedAt));
            history.Parameters.AddWithValue("$why", (object?)record.Justification ?? DBNull.Value);
            history.Parameters.AddWithValue("$diff", diff);
            await history.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task SaveAsync(SqliteConnection connection, SqliteTransaction? transaction, ServerRecord record, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT OR REPLACE INTO registry_servers (id, state, approved_by, approved_at, justification, updated_at) VALUES ($id, $state, $by, $at, $why, $updated)";
        command.Parameters.AddWithValue("$id", record.Id);
        command.Parameters.AddWithValue("$state", record.State.ToString());
        command.Parameters.AddWithValue("$by", (object?)record.ApprovedBy ?? DBNull.Value);
        command.Parameters.AddWithValue("$at", record.ApprovedAt is { } at ? Format(at) : DBNull.Value);
        command.Parameters.AddWithValue("$why", (object?)record.Justification ?? DBNull.Value);
        command.Parameters.AddWithValue("$updated", Format(record.UpdatedAt));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Format(DateTimeOffset at) => at.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);
}
