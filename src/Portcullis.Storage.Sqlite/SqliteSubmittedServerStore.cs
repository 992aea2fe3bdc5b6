using System.Globalization;
using System.Text.Json;
using Portcullis.Configuration;
using Portcullis.Registry;

namespace Portcullis.Storage.Sqlite;

/// <summary>API-submitted servers in SQLite, each stored as the JSON of its configuration.</summary>
public sealed class SqliteSubmittedServerStore(SqliteDatabase database) : ISubmittedServerStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<ServerConfig>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT definition FROM registry_submissions ORDER BY submitted_at";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var servers = new List<ServerConfig>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            servers.Add(JsonSerializer.Deserialize<ServerConfig>(reader.GetString(0))!);
        }

        return servers;
    }

    /// <inheritdoc />
    public async Task AddAsync(ServerConfig server, string submittedBy, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO registry_submissions (id, definition, submitted_by, submitted_at) VALUES ($id, $definition, $by, $at)";
        command.Parameters.AddWithValue("$id", server.Id);
        command.Parameters.AddWithValue("$definition", JsonSerializer.Serialize(server));
        command.Parameters.AddWithValue("$by", submittedBy);
        command.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
