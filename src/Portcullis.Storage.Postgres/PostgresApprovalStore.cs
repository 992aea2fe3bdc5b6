using System.Text.Json;
using Portcullis.Approvals;

namespace Portcullis.Storage.Postgres;

/// <summary>
/// Approval requests in PostgreSQL, each stored as JSON with the columns needed to find it. Every write tells the
/// replicas (<see cref="PostgresChanges"/>), so a call held on one replica hears at once of a decision made on another.
/// </summary>
public sealed class PostgresApprovalStore(PostgresDatabase database) : IApprovalStore
{
    /// <summary>What a change to approval requests is announced as.</summary>
    public const string Change = "approvals";

    /// <inheritdoc />
    public async Task SaveAsync(ApprovalRequest request, CancellationToken cancellationToken) =>
        await database.ExecuteAndAnnounceAsync(Change, 
            """
            INSERT INTO approvals (id, requester_key, tool, arguments_hash, status, created_at, record) VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (id) DO UPDATE SET requester_key = excluded.requester_key, tool = excluded.tool, arguments_hash = excluded.arguments_hash,
                status = excluded.status, created_at = excluded.created_at, record = excluded.record
            """,
            [request.Id, request.RequesterKey, request.Tool, request.ArgumentsHash, request.Status.ToString(), request.CreatedAt.ToUniversalTime(), JsonSerializer.Serialize(request)],
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<bool> ReplaceAsync(ApprovalRequest read, ApprovalRequest updated, CancellationToken cancellationToken) =>
        await database.ExecuteAndAnnounceAsync(Change, 
            "UPDATE approvals SET status = $2, record = $3 WHERE id = $1 AND record = $4",
            [read.Id, updated.Status.ToString(), JsonSerializer.Serialize(updated), JsonSerializer.Serialize(read)],
            cancellationToken).ConfigureAwait(false) == 1;

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
