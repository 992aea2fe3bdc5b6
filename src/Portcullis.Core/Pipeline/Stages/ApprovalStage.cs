using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Portcullis.Approvals;
using Portcullis.Audit;
using Portcullis.Configuration;
using Portcullis.Policy;

namespace Portcullis.Pipeline.Stages;

/// <summary>
/// Holds a call the policy says needs approval: creates (or finds) the request bound to this principal, tool and
/// arguments, waits for a decision while telling the agent it is waiting, then runs the call once if approved.
/// Undecided in time, the agent is told the request id and to retry the identical call, which runs once approved.
/// </summary>
public sealed class ApprovalStage(ApprovalService approvals, GatewayConfigProvider config) : IGovernedCallStage
{
    /// <inheritdoc />
    public string Name => "approval";

    private int RuleApprovers(string? ruleId) => config.Current.Policy.Rules.FirstOrDefault(r => r.Id == ruleId)?.Approvers ?? 1;

    /// <inheritdoc />
    public async ValueTask InvokeAsync(GovernedCall call, CancellationToken cancellationToken)
    {
        if (call.Decision is not { Effect: PolicyEffect.Approve } decision)
        {
            return;
        }

        var (redacted, hash) = AuditRecords.Arguments(call);
        var request = await approvals.FindOrCreateAsync(call.Principal, call.Upstream!.Id, call.QualifiedName, hash ?? "", redacted, decision.Risk.ToString().ToLowerInvariant(), decision.Reason, RuleApprovers(decision.RuleId), cancellationToken).ConfigureAwait(false);
        if (request.Status == ApprovalStatus.Pending)
        {
            Func<TimeSpan, Task>? tellWaiting = null;
            if (call.Params.ProgressToken is { } token)
            {
                var id = request.Id;
                tellWaiting = async waited =>
                {
                    try
                    {
                        await call.Agent.NotifyProgressAsync(token, new ProgressNotificationValue { Progress = (float)waited.TotalSeconds, Message = $"waiting for approval of request {id}" }, cancellationToken: cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception) when (!cancellationToken.IsCancellationRequested)
                    {
                        // Progress is advisory.
                    }
                };
            }

            request = await approvals.WaitAsync(request, config.Current.Approvals.Wait, tellWaiting, cancellationToken).ConfigureAwait(false);
        }

        switch (request.Status)
        {
            case ApprovalStatus.Approved when await approvals.TryConsumeAsync(request.Id, cancellationToken).ConfigureAwait(false):
                call.Actions.Add($"approved by {string.Join(", ", request.Approvals.Select(a => a.Approver))} (request {request.Id})");
                return;
            case ApprovalStatus.Denied:
                call.Reject(Name, RejectionReason.ApprovalDenied, $"Request {request.Id} was denied by {request.Denial!.Approver}{(request.Denial.Reason is { } why ? ": " + why : "")}. The call was not made.");
                return;
            case ApprovalStatus.Pending:
                var missing = request.RequiredApprovals - request.Approvals.Count;
                call.Reject(Name, RejectionReason.ApprovalRequired,
                    $"Approval request {request.Id} is pending ({missing} more approval{(missing == 1 ? "" : "s")} needed; {decision.Reason}). The call was not made. An approver decides with 'portcullis approvals approve {request.Id}'; then retry this identical call (same tool and arguments) and it runs once. The request expires at {request.ExpiresAt:u}.");
                return;
            default:
                call.Reject(Name, RejectionReason.ApprovalRequired, $"Approval request {request.Id} is {request.Status.ToString().ToLowerInvariant()}; retry the call to open a new request.");
                return;
        }
    }
}
