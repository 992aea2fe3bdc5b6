using System.Globalization;

namespace Portcullis.Storage.Sqlite;

/// <summary>Configuration history in SQLite.</summary>
public sealed class SqliteConfigHistoryStore(SqliteDatabase database) : IConfigHistoryStore
{
    /// <inheritdoc />
    public async Task RecordAsync(ConfigHistoryEntry entry, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO config_history (version, source, at, accepted, detail) VALUES ($version, $source, $at, $accepted, $detail)";
        command.Parameters.AddWithValue("$version", entry.Version);
        command.Parameters.AddWithValue("$source", entry.Source);
        command.Parameters.AddWithValue("$at", entry.At.ToString("O", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$accepted", entry.Accepted ? 1 : 0);
        command.Parameters.AddWithValue("$detail", entry.Detail);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ConfigHistoryEntry>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT version, source, at, accepted, detail FROM config_history ORDER BY id DESC LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var entries = new List<ConfigHistoryEntry>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(new ConfigHistoryEntry(reader.GetString(0), reader.GetString(1), DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture), reader.GetInt64(3) == 1, reader.GetString(4)));
        }

        return entries;
    }
}
