using Portcullis.Limits;

namespace Portcullis.Pipeline.Stages;

/// <summary>Refuses calls to a server, tool or member whose kill switch is engaged.</summary>
public sealed class KillSwitchStage(KillSwitches kills) : IGovernedCallStage
{
    /// <inheritdoc />
    public string Name => "kill-switch";

    /// <inheritdoc />
    public ValueTask InvokeAsync(GovernedCall call, CancellationToken cancellationToken)
    {
        if (kills.Stopping(call.Upstream!.Id, call.QualifiedName, call.Principal) is { } kill)
        {
            call.Reject(Name, RejectionReason.Killed, Describe(kill));
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>The agent-facing text for an engaged switch.</summary>
    public static string Describe(KillSwitch kill) =>
        $"{kill.Target} '{kill.Id}' has been switched off by an administrator ({kill.EngagedBy}, {kill.EngagedAt:u}){(kill.Reason is null ? "" : ": " + kill.Reason)}. Calls are refused until it is switched back on.";
}
