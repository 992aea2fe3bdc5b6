using System.Globalization;
using Portcullis.Configuration;
using Portcullis.Limits;
using Portcullis.Policy;
using Portcullis.Routing;

namespace Portcullis.Pipeline.Stages;

/// <summary>
/// Rate limits (per principal, tool or server), the principal's daily budget and the server's concurrency cap. A
/// limited call is refused with when to retry; other principals are unaffected.
/// </summary>
public sealed class LimitsStage(GatewayConfigProvider config, LimitState state) : IGovernedCallStage
{
    /// <inheritdoc />
    public string Name => "limits";

    /// <inheritdoc />
    public ValueTask InvokeAsync(GovernedCall call, CancellationToken cancellationToken)
    {
        var policy = config.Current.Policy;
        var upstream = call.Upstream!;
        var name = call.QualifiedName;
        foreach (var limit in policy.Limits)
        {
            if ((limit.Tools.Count > 0 && !limit.Tools.Any(p => p == "*" || Glob.IsMatch(p, name)))
                || (limit.RiskClass is { } risk && call.Decision?.Risk != risk))
            {
                continue;
            }

            var key = limit.Per switch
            {
                RateLimitScope.Tool => name,
                RateLimitScope.Server => upstream.Id,
                _ => call.Principal.SessionOwnerKey,
            };
            if (state.TryTakeRate(limit, key) is { } retryAfter)
            {
                call.Reject(Name, RejectionReason.Limited, $"Rate limit '{limit.Id}' reached ({limit.Permits} calls per {limit.Window.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s per {limit.Per.ToString().ToLowerInvariant()}). Retry after {Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s.");
                return ValueTask.CompletedTask;
            }
        }

        if (policy.DailyBudget is { } daily && call.Kind == CallKind.ToolCall)
        {
            var cost = config.Policy.CostOf(name);
            if (!state.TryCharge(call.Principal.SessionOwnerKey, cost, daily))
            {
                call.Reject(Name, RejectionReason.Limited, $"Daily budget of {daily} units used up for {call.Principal.Subject} ({state.Spent(call.Principal.SessionOwnerKey)} spent; this call costs {cost}). It resets at 00:00 UTC, in {Math.Ceiling(state.UntilBudgetReset().TotalMinutes).ToString(CultureInfo.InvariantCulture)} min.");
                return ValueTask.CompletedTask;
            }
        }

        if (upstream.Config.MaxConcurrency is { } max)
        {
            if (state.TryEnter(upstream.Id, max) is not { } slot)
            {
                call.Reject(Name, RejectionReason.Limited, $"Server '{upstream.Id}' is at its cap of {max} concurrent calls. Retry after 1 s.");
                return ValueTask.CompletedTask;
            }

            call.Hold(slot);
        }

        return ValueTask.CompletedTask;
    }
}
