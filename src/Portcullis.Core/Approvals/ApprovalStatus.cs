namespace Portcullis.Approvals;

/// <summary>Where an approval request stands.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<ApprovalStatus>))]
public enum ApprovalStatus
{
    /// <summary>Waiting for approvers.</summary>
    Pending,

    /// <summary>Approved; the identical call may run once.</summary>
    Approved,

    /// <summary>Refused by an approver.</summary>
    Denied,

    /// <summary>Not decided, or not used, in time.</summary>
    Expired,

    /// <summary>Approved and used by the call it was for.</summary>
    Used,
}
