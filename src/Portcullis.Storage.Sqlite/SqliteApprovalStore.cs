using System.Globalization;
using System.Text.Json;
using Portcullis.Approvals;

namespace Portcullis.Storage.Sqlite;

/// <summary>Approval requests in SQLite, each stored as JSON with the columns needed to find it.</summary>
public sealed class SqliteApprovalStore(SqliteDatabase database) : IApprovalStore
{
    /// <inheritdoc />
    public async Task SaveAsync(ApprovalRequest request, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT OR REPLACE INTO approvals (id, requester_key, tool, arguments_hash, status, created_at, record) VALUES ($id, $key, $tool, $hash, $status, $created, $record)";
        command.Parameters.AddWithValue("$id", request.Id);
        command.Parameters.AddWithValue("$key", request.RequesterKey);
        command.Parameters.AddWithValue("$tool", request.Tool);
        command.Parameters.AddWithValue("$hash", request.ArgumentsHash);
        command.Parameters.AddWithValue("$status", request.Status.ToString());
        command.Parameters.AddWithValue("$created", request.CreatedAt.UtcDateTime.ToString(SqliteDatabase.TimeFormat, CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$record", JsonSerializer.Serialize(request));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> ReplaceAsync(ApprovalRequest read, ApprovalRequest updated, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE approvals SET status = $status, record = $record WHERE id = $id AND record = $read";
        command.Parameters.AddWithValue("$id", read.Id);
        command.Parameters.AddWithValue("$status", updated.Status.ToString());
        command.Parameters.AddWithValue("$record", JsonSerializer.Serialize(updated));
        command.Parameters.AddWithValue("$read", JsonSerializer.Serialize(read));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<ApprovalRequest?> GetAsync(string id, CancellationToken cancellationToken) =>
        (await ReadAsync("SELECT record FROM approvals WHERE id = $a", id, null, null, cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    /// <inheritdoc />
    public async Task<IReadOnlyList<ApprovalRequest>> ListAsync(ApprovalStatus? status, CancellationToken cancellationToken) =>
        status is { } s
            ? await ReadAsync("SELECT record FROM approvals WHERE status = $a ORDER BY created_at DESC", s.ToString(), null, null, cancellationToken).ConfigureAwait(false)
            : await ReadAsync("SELECT record FROM approvals ORDER BY created_at DESC LIMIT 500", null, null, null, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<ApprovalRequest?> FindAsync(string requesterKey, string tool, string argumentsHash, CancellationToken cancellationToken) =>
        (await ReadAsync("SELECT record FROM approvals WHERE requester_key = $a AND tool = $b AND arguments_hash = $c ORDER BY created_at DESC LIMIT 1", requesterKey, tool, argumentsHash, cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    private async Task<List<ApprovalRequest>> ReadAsync(string sql, string? a, string? b, string? c, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in new[] { ("$a", a), ("$b", b), ("$c", c) })
        {
            if (value is not null)
            {
                command.Parameters.AddWithValue(name, value);
            }
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var requests = new List<ApprovalRequest>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            requests.Add(JsonSerializer.Deserialize<ApprovalRequest>(reader.GetString(0))!);
        }

        return requests;
    }
}
