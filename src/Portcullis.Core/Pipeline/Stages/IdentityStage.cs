namespace Portcullis.Pipeline.Stages;

/// <summary>
/// Holds the call to what the principal's credential allows: a member token limited to some servers reaches only
/// those. (Authentication itself happened at the front door, on this very request.)
/// </summary>
public sealed class IdentityStage : IGovernedCallStage
{
    /// <inheritdoc />
    public string Name => "identity";

    /// <inheritdoc />
    public ValueTask InvokeAsync(GovernedCall call, CancellationToken cancellationToken)
    {
        if (call.Upstream is { } upstream && !call.Principal.MayReach(upstream.Id))
        {
            call.Reject(Name, RejectionReason.Forbidden, $"'{call.Principal.Subject}' may not use server '{upstream.Id}': the token presented is limited to {string.Join(", ", call.Principal.Servers!)}. Ask an admin for a token that includes it.");
        }

        return ValueTask.CompletedTask;
    }
}
