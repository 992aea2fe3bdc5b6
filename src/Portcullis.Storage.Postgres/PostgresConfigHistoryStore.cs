namespace Portcullis.Storage.Postgres;

/// <summary>Configuration history in PostgreSQL: every replica's load attempts, in one list.</summary>
public sealed class PostgresConfigHistoryStore(PostgresDatabase database) : IConfigHistoryStore
{
    /// <inheritdoc />
    public async Task RecordAsync(ConfigHistoryEntry entry, CancellationToken cancellationToken)
    {
        await using var command = database.Command("INSERT INTO config_history (version, source, at, accepted, detail) VALUES ($1, $2, $3, $4, $5)");
        command.Parameters.Add(new() { Value = entry.Version });
        command.Parameters.Add(new() { Value = entry.Source });
        command.Parameters.Add(new() { Value = entry.At.ToUniversalTime() });
        command.Parameters.Add(new() { Value = entry.Accepted });
        command.Parameters.Add(new() { Value = entry.Detail });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ConfigHistoryEntry>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var command = database.Command("SELECT version, source, at, accepted, detail FROM config_history ORDER BY id DESC LIMIT $1");
        command.Parameters.Add(new() { Value = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var entries = new List<ConfigHistoryEntry>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(new ConfigHistoryEntry(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetBoolean(3), reader.GetString(4)));
        }

        return entries;
    }
}
