using System.Globalization;
using Portcullis.Configuration;
using Portcullis.Limits;
using Portcullis.Policy;
using Portcullis.Routing;

namespace Portcullis.Pipeline.Stages;

/// <summary>
/// Rate limits (per principal, tool or server), the principal's daily budget and the server's concurrency cap. A
/// limited call is refused with when to retry; other principals are unaffected. Budgets are charged in the store
/// (durable, shared by replicas); a store that cannot be reached stops the call (fail closed).
/// </summary>
public sealed class LimitsStage(GatewayConfigProvider config, LimitState state, IBudgetStore budgets, TimeProvider time) : IGovernedCallStage
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

        if (upstream.Config.MaxConcurrency is { } max)
        {
            if (state.TryEnter(upstream.Id, max) is not { } slot)
            {
                call.Reject(Name, RejectionReason.Limited, $"Server '{upstream.Id}' is at its cap of {max} concurrent calls. Retry after 1 s.");
                return ValueTask.CompletedTask;
            }

            call.Hold(slot);
        }

        // Charged last, so a call another limit refuses spends nothing.
        return policy.DailyBudget is { } daily && call.Kind == CallKind.ToolCall
            ? ChargeAsync(call, config.Policy.CostOf(name), daily, cancellationToken)
            : ValueTask.CompletedTask;
    }

    private async ValueTask ChargeAsync(GovernedCall call, int cost, int daily, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var day = DateOnly.FromDateTime(now);
        var key = call.Principal.SessionOwnerKey;
        try
        {
            if (await budgets.TryChargeAsync(key, day, cost, daily, cancellationToken).ConfigureAwait(false) is not null)
            {
                return;
            }

            var spent = await budgets.SpentAsync(key, day, cancellationToken).ConfigureAwait(false);
            var untilReset = now.Date.AddDays(1) - now;
            call.Reject(Name, RejectionReason.Limited, $"Daily budget of {daily} units used up for {call.Principal.Subject} ({spent} spent; this call costs {cost}). It resets at 00:00 UTC, in {Math.Ceiling(untilReset.TotalMinutes).ToString(CultureInfo.InvariantCulture)} min.");
        }
        catch (Storage.StoreUnavailableException ex)
        {
            call.Reject(Name, RejectionReason.Unavailable, $"The budget of {call.Principal.Subject} cannot be checked ({ex.Message}). The call was not made; retry shortly.");
        }
    }
}
