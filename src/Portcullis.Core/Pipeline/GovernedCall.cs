using ModelContextProtocol.Protocol;
using Portcullis.Sessions;
using Portcullis.Upstreams;

namespace Portcullis.Pipeline;

/// <summary>The typed context of one governed call; each stage reads what earlier stages decided and adds its own.</summary>
public sealed class GovernedCall : IDisposable
{
    private List<IDisposable>? _held;

    /// <summary>What is being done.</summary>
    public required CallKind Kind { get; init; }

    /// <summary>The target as the agent named it: exposed tool or prompt name, or resource URI.</summary>
    public required string Target { get; init; }

    /// <summary>The request parameters as received.</summary>
    public required RequestParams Params { get; init; }

    /// <summary>Who is making the call (as authenticated on this very request).</summary>
    public required Identity.Principal Principal { get; init; }

    /// <summary>The agent session making the call.</summary>
    public required DownstreamSession Session { get; init; }

    /// <summary>
    /// The agent's side of this request: the SDK server bound to the request's own response stream. Progress and
    /// requests the upstream makes during the call (sampling, elicitation, roots) go through it, so they travel
    /// with the call rather than on the session's general stream.
    /// </summary>
    public required ModelContextProtocol.Server.McpServer Agent { get; init; }

    /// <summary>The server that will answer (set by routing).</summary>
    public UpstreamConnector? Upstream { get; set; }

    /// <summary>The target's name on that server (set by routing).</summary>
    public string? UpstreamName { get; set; }

    /// <summary>The policy decision (set by the policy stage), for audit.</summary>
    public Policy.PolicyDecision? Decision { get; set; }

    /// <summary>The target's namespaced name (<c>server__name</c>), which rules, limits and kill switches match.</summary>
    public string QualifiedName => field ??= string.Concat(Upstream!.Id, "__", UpstreamName);

    /// <summary>The upstream's answer (set by the upstream stage).</summary>
    public Result? Result { get; set; }

    /// <summary>What inspecting the result found (set by the inspect stage), for audit.</summary>
    public List<Scanning.Finding> Inspection { get; } = [];

    /// <summary>What the gateway did to the result (redacted, truncated, annotated, blocked), for audit.</summary>
    public List<string> Actions { get; } = [];

    /// <summary>W3C trace id of the call, shared with the upstream request.</summary>
    public string TraceId { get; } = (System.Diagnostics.Activity.Current?.TraceId ?? System.Diagnostics.ActivityTraceId.CreateRandom()).ToHexString();

    /// <summary>Each stage's decision and time, in order (set by the pipeline), for audit.</summary>
    public List<string> StageLog { get; } = [];

    /// <summary>SHA-256 of the approved definition of the target (set by the registry stage), for audit.</summary>
    public string? PinHash { get; set; }

    /// <summary>The decision of the stage that stopped the call, if one did.</summary>
    public CallRejection? Rejection { get; private set; }

    /// <summary>Keeps <paramref name="resource"/> (a concurrency slot, say) until the call ends.</summary>
    public void Hold(IDisposable resource) => (_held ??= []).Add(resource);

    /// <summary>Releases what the stages held for the call.</summary>
    public void Dispose()
    {
        if (_held is null)
        {
            return;
        }

        foreach (var resource in _held)
        {
            resource.Dispose();
        }

        _held = null;
    }

    /// <summary>True when a stage answered the call itself (e.g. with an earlier execution's result); later stages do not run.</summary>
    public bool IsAnswered { get; private set; }

    /// <summary>Answers the call with <paramref name="result"/> without going further.</summary>
    public void Answer(Result result)
    {
        Result = result;
        IsAnswered = true;
    }

    /// <summary>Stops the call with a decision; later stages do not run.</summary>
    public void Reject(string stage, RejectionReason reason, string message, int errorCode = 0) =>
        Rejection ??= new CallRejection(stage, reason, message, errorCode);
}
