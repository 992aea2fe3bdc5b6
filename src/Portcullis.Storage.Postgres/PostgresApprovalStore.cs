using System.Text.Json;
using Portcullis.Approvals;

namespace Portcullis.Storage.Postgres;

/// <summary>Approval requests in PostgreSQL, each stored as JSON with the columns needed to find it.</summary>
public sealed class PostgresApprovalStore(PostgresDatabase database) : IApprovalStore
{
    /// <inheritdoc />
    public async Task SaveAsync(ApprovalRequest request, CancellationToken cancellationToken)
    {
        await using var command = database.Command(
            """
            INSERT INTO approvals (id, requester_key, tool, arguments_hash, status, created_at, record) VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (id) DO UPDATE SET requester_key = excluded.requester_key, tool = excluded.tool, arguments_hash = excluded.arguments_hash,
                status = excluded.status, created_at = excluded.created_at, record = excluded.record
            """);
        command.Parameters.Add(new() { Value = request.Id });
        command.Parameters.Add(new() { Value = request.RequesterKey });
        command.Parameters.Add(new() { Value = request.Tool });
        command.Parameters.Add(new() { Value = request.ArgumentsHash });
        command.Parameters.Add(new() { Value = request.Status.ToString() });
        command.Parameters.Add(new() { Value = request.CreatedAt.ToUniversalTime() });
        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(request) });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<ApprovalRequest?> GetAsync(string id, CancellationToken cancellationToken) =>
        (await ReadAsync("SELECT record FROM approvals WHERE id = $1", [id], cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    /// <inheritdoc />
    public async Task<IReadOnlyList<ApprovalRequest>> ListAsync(ApprovalStatus? status, CancellationToken cancellationToken) =>
        status is { } s
            ? await ReadAsync("SELECT record FROM approvals WHERE status = $1 ORDER BY created_at DESC", [s.ToString()], cancellationToken).ConfigureAwait(false)
            : await ReadAsync("SELECT record FROM approvals ORDER BY created_at DESC LIMIT 500", [], cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<ApprovalRequest?> FindAsync(string requesterKey, string tool, string argumentsHash, CancellationToken cancellationToken) =>
        (await ReadAsync("SELECT record FROM approvals WHERE requester_key = $1 AND tool = $2 AND arguments_hash = $3 ORDER BY created_at DESC LIMIT 1",
            [requesterKey, tool, argumentsHash], cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    private async Task<List<ApprovalRequest>> ReadAsync(string sql, string[] values, CancellationToken cancellationToken)
    {
        await using var command = database.Command(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new() { Value = value });
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
