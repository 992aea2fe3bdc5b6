using ModelContextProtocol.Protocol;
using Portcullis.Configuration;
using Portcullis.Policy;
using Portcullis.Routing;

namespace Portcullis.Pipeline.Stages;

/// <summary>
/// Asks the policy in force whether this principal may do this, with these arguments, now. A denial names the rule
/// and policy version; a call that needs approval goes on to the approval stage, which holds it. A denied item that
/// exists is reported as denied, never as unknown.
/// </summary>
public sealed class PolicyStage(GatewayConfigProvider config) : IGovernedCallStage
{
    /// <inheritdoc />
    public string Name => "policy";

    /// <inheritdoc />
    public ValueTask InvokeAsync(GovernedCall call, CancellationToken cancellationToken)
    {
        var upstream = call.Upstream!;
        var decision = config.Policy.Decide(new PolicyRequest
        {
            Principal = call.Principal,
            Target = call.Kind switch { CallKind.ToolCall => PolicyTarget.Tool, CallKind.PromptGet => PolicyTarget.Prompt, _ => PolicyTarget.Resource },
            ServerId = upstream.Id,
            Name = call.UpstreamName!,
            VirtualServer = (call.Session.View as EndpointView.Virtual)?.VirtualServerId,
            Environment = upstream.Config.Environment,
            Arguments = call.Kind == CallKind.ToolCall ? ((CallToolRequestParams)call.Params).Arguments ?? EmptyArguments : null,
            Annotations = call.Kind == CallKind.ToolCall ? upstream.Catalog.FindTool(call.UpstreamName!)?.Annotations : null,
        });
        call.Decision = decision;
        switch (decision.Effect)
        {
            case PolicyEffect.Deny:
                call.Reject(Name, RejectionReason.Forbidden, $"Denied by policy {decision.PolicyVersion}: {decision.Reason}. Ask an admin if you need this.");
                break;
            case PolicyEffect.Approve when call.Kind != CallKind.ToolCall:
                call.Reject(Name, RejectionReason.ApprovalRequired, $"Approval required by policy {decision.PolicyVersion}: {decision.Reason}. Only tool calls can be held for approval.");
                break;
        }

        return ValueTask.CompletedTask;
    }

    private static readonly Dictionary<string, System.Text.Json.JsonElement> EmptyArguments = [];
}
