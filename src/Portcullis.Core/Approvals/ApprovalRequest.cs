namespace Portcullis.Approvals;

/// <summary>
/// A held call awaiting a person's decision. It is bound to the requester, the tool and the hash of the exact
/// arguments: an approval never covers different arguments, another person's call, or a second execution.
/// </summary>
public sealed record ApprovalRequest
{
    /// <summary>Request id, quoted to agents and approvers.</summary>
    public required string Id { get; init; }

    /// <summary>Who asked (subject).</summary>
    public required string Requester { get; init; }

    /// <summary>The requester's identity key (method, issuer, subject): only the same principal can use the approval.</summary>
    public required string RequesterKey { get; init; }

    /// <summary>The agent acting for the requester.</summary>
    public string? Agent { get; init; }

    /// <summary>Server of the tool.</summary>
    public required string ServerId { get; init; }

    /// <summary>Namespaced tool.</summary>
    public required string Tool { get; init; }

    /// <summary>Arguments with secrets and personal data redacted, for the approver to read.</summary>
    public string? Arguments { get; init; }

    /// <summary>SHA-256 of the full arguments the approval is bound to.</summary>
    public required string ArgumentsHash { get; init; }

    /// <summary>Risk class of the tool.</summary>
    public required string Risk { get; init; }

    /// <summary>The policy's reason for requiring approval.</summary>
    public required string Reason { get; init; }

    /// <summary>How many distinct approvers must agree.</summary>
    public int RequiredApprovals { get; init; } = 1;

    /// <summary>Current status.</summary>
    public ApprovalStatus Status { get; init; }

    /// <summary>Approvals given so far: approver and reason.</summary>
    public IReadOnlyList<ApprovalDecision> Approvals { get; init; } = [];

    /// <summary>The refusal, if any.</summary>
    public ApprovalDecision? Denial { get; init; }

    /// <summary>When the request was made.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>After this the request (or an unused approval) is void.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }
}

/// <summary>One approver's decision.</summary>
public sealed record ApprovalDecision(string Approver, DateTimeOffset At, string? Reason);
