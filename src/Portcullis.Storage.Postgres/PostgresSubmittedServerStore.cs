using System.Text.Json;
using Portcullis.Configuration;
using Portcullis.Registry;

namespace Portcullis.Storage.Postgres;

/// <summary>API-submitted servers in PostgreSQL, each stored as the JSON of its configuration.</summary>
public sealed class PostgresSubmittedServerStore(PostgresDatabase database) : ISubmittedServerStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<ServerConfig>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = database.Command("SELECT definition FROM registry_submissions ORDER BY submitted_at");
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
        await using var command = database.Command("INSERT INTO registry_submissions (id, definition, submitted_by, submitted_at) VALUES ($1, $2, $3, now())");
        command.Parameters.Add(new() { Value = server.Id });
        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(server) });
        command.Parameters.Add(new() { Value = submittedBy });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
