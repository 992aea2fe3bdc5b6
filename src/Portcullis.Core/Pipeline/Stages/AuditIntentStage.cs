using Portcullis.Audit;
using Portcullis.Policy;

namespace Portcullis.Pipeline.Stages;

/// <summary>
/// For calls that change things (risk write or above), makes an intent record durable before the upstream is
/// called: if the gateway dies mid-call, the evidence that the call was attempted survives. No record, no call.
/// </summary>
public sealed class AuditIntentStage(AuditLog audit) : IGovernedCallStage
{
    /// <inheritdoc />
    public string Name => "audit-intent";

    /// <inheritdoc />
    public async ValueTask InvokeAsync(GovernedCall call, CancellationToken cancellationToken)
    {
        if (call.Decision is not { Risk: >= RiskClass.Write })
        {
            return;
        }

        try
        {
            await audit.AppendAsync(AuditRecords.FromCall(call, 0, kind: "tools/call:intent", outcome: "intent"), cancellationToken).ConfigureAwait(false);
        }
        catch (AuditUnavailableException ex)
        {
            call.Reject(Name, RejectionReason.Unavailable, ex.Message + " The call was not made.");
        }
    }
}
