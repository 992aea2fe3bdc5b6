namespace Portcullis.Configuration;

/// <summary>How held calls are decided.</summary>
public sealed record ApprovalsConfig
{
    /// <summary>How long a held call waits for a decision before it is answered "pending, retry".</summary>
    public TimeSpan Wait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a request (and an approval not yet used) stays valid.</summary>
    public TimeSpan Expiry { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Roles that may decide requests.</summary>
    public IReadOnlyList<string> ApproverRoles { get; init; } = ["approver", "admin"];

    /// <summary>Endpoints told about requests and decisions.</summary>
    public IReadOnlyList<WebhookConfig> Webhooks { get; init; } = [];

    /// <summary>Risk classes whose calls need two distinct approvers.</summary>
    public IReadOnlyList<string> TwoPersonRisk { get; init; } = [];
}
