using Portcullis.Routing;

namespace Portcullis.Pipeline.Stages;

/// <summary>Finds the server that answers the call on the session's endpoint, and the target's name there.</summary>
public sealed class RouteStage(EndpointCatalog catalog) : IGovernedCallStage
{
    /// <inheritdoc />
    public string Name => "route";

    /// <inheritdoc />
    public ValueTask InvokeAsync(GovernedCall call, CancellationToken cancellationToken)
    {
        var view = call.Session.View;
        if (!catalog.Exists(view))
        {
            call.Reject(Name, RejectionReason.UnknownTarget, $"The endpoint {view.Path} no longer exists in the gateway's configuration; reconnect to an endpoint that does.");
            return ValueTask.CompletedTask;
        }

        switch (call.Kind)
        {
            case CallKind.ResourceRead:
                call.Upstream = catalog.ResolveResource(view, call.Target);
                call.UpstreamName = call.Target;
                if (call.Upstream is null)
                {
                    call.Reject(Name, RejectionReason.UnknownTarget, $"No server behind {view.Path} offers the resource '{call.Target}'. Call resources/list or resources/templates/list to see what is available.");
                }

                break;
            default:
                var noun = call.Kind == CallKind.ToolCall ? "tool" : "prompt";
                if (!catalog.TryResolveName(view, call.Target, out var connector, out var upstreamName)
                    || (call.Kind == CallKind.ToolCall && !catalog.ExposesTool(view, connector!.Id, upstreamName))
                    || (call.Kind == CallKind.PromptGet && view is EndpointView.Virtual))
                {
                    call.Reject(Name, RejectionReason.UnknownTarget, $"Unknown {noun} '{call.Target}' on {view.Path}. Call {noun}s/list to see the {noun}s available here.");
                    break;
                }

                // A known server that is connected but does not list the name: say so, rather than forwarding blindly.
                if (connector!.State == Upstreams.UpstreamState.Ready
                    && (call.Kind == CallKind.ToolCall ? connector.Catalog.FindTool(upstreamName) is null : !connector.Catalog.Prompts.Any(p => p.Name == upstreamName)))
                {
                    call.Reject(Name, RejectionReason.UnknownTarget, $"Unknown {noun} '{call.Target}': server '{connector.Id}' has no {noun} named '{upstreamName}'. Call {noun}s/list to see the {noun}s available here.");
                    break;
                }

                call.Upstream = connector;
                call.UpstreamName = upstreamName;
                break;
        }

        return ValueTask.CompletedTask;
    }
}
