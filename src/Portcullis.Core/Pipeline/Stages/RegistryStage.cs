using Portcullis.Registry;

namespace Portcullis.Pipeline.Stages;

/// <summary>Only approved servers, and of those only tools matching what was approved, are reachable.</summary>
public sealed class RegistryStage(ServerRegistry registry) : IGovernedCallStage
{
    /// <inheritdoc />
    public string Name => "registry";

    /// <inheritdoc />
    public ValueTask InvokeAsync(GovernedCall call, CancellationToken cancellationToken)
    {
        var upstream = call.Upstream!;
        var view = registry.View(upstream);
        call.PinHash = call.Kind == CallKind.ToolCall ? registry.PinHashOf(upstream.Id, call.UpstreamName!) : null;
        if (view.State != ServerState.Approved)
        {
            call.Reject(Name, RejectionReason.Forbidden, view.State == ServerState.Proposed
                ? $"Server '{upstream.Id}' has not been approved yet; an admin reviews it with 'portcullis servers show {upstream.Id}' and approves it with 'portcullis servers approve {upstream.Id}'."
                : $"Server '{upstream.Id}' is {view.State.ToString().ToLowerInvariant()} and cannot be used.");
        }
        else if (call.Kind == CallKind.ToolCall && view.Quarantined.TryGetValue(call.UpstreamName!, out var reason))
        {
            call.Reject(Name, RejectionReason.Forbidden, $"{char.ToUpperInvariant(reason[0])}{reason[1..]}: an admin compares it with 'portcullis servers diff {upstream.Id}' and approves it with 'portcullis servers approve {upstream.Id}'.");
        }

        return ValueTask.CompletedTask;
    }
}
