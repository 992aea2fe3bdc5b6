namespace Portcullis.Approvals;

/// <summary>Durable approval requests: held calls survive a restart as requests (the waiting connection does not).</summary>
public interface IApprovalStore
{
    /// <summary>Saves (inserts or replaces) a request.</summary>
    Task SaveAsync(ApprovalRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces <paramref name="read"/> with <paramref name="updated"/> only if the stored request is still exactly
    /// what was read; false when someone (another replica sharing the store) changed it first. This keeps an
    /// approval single use and a decision final when several gateways decide and consume at once.
    /// </summary>
    Task<bool> ReplaceAsync(ApprovalRequest read, ApprovalRequest updated, CancellationToken cancellationToken);

    /// <summary>Finds a request.</summary>
    Task<ApprovalRequest?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Requests, newest first, optionally of one status.</summary>
    Task<IReadOnlyList<ApprovalRequest>> ListAsync(ApprovalStatus? status, CancellationToken cancellationToken);

    /// <summary>The newest request of a requester for a tool and arguments hash.</summary>
    Task<ApprovalRequest?> FindAsync(string requesterKey, string tool, string argumentsHash, CancellationToken cancellationToken);
}
