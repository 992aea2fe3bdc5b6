namespace Portcullis.Pipeline;

/// <summary>
/// The ordered stages every governed call passes; the order is written down in one place, where the pipeline is
/// registered (route, kill switch, identity, policy, limits, upstream; registry gate, approval and inspection join
/// as they land).
/// </summary>
public sealed class GovernedCallPipeline(IEnumerable<IGovernedCallStage> stages)
{
    private readonly IGovernedCallStage[] _stages = [.. stages];

    /// <summary>The stages in order.</summary>
    public IReadOnlyList<IGovernedCallStage> Stages => _stages;

    /// <summary>Runs the stages until one rejects or all have run, then releases what they held.</summary>
    public async ValueTask ExecuteAsync(GovernedCall call, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var stage in _stages)
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                await stage.InvokeAsync(call, cancellationToken).ConfigureAwait(false);
                var elapsed = Milliseconds(System.Diagnostics.Stopwatch.GetElapsedTime(started));
                call.StageLog.Add(call.Rejection is { } rejection
                    ? $"{stage.Name}: {rejection.Reason.ToString().ToLowerInvariant()} [{elapsed} ms]"
                    : call.IsAnswered
                        ? $"{stage.Name}: answered [{elapsed} ms]"
                        : stage is Stages.PolicyStage && call.Decision is { } decision
                        ? $"{stage.Name}: {decision.Effect.ToString().ToLowerInvariant()} by {decision.RuleId} ({decision.PolicyVersion}) [{elapsed} ms]"
                        : string.Concat(stage.Name, ": passed [", elapsed, " ms]"));
                if (call.Rejection is not null || call.IsAnswered)
                {
                    return;
                }
            }
        }
        finally
        {
            call.Dispose();
        }
    }

    /// <summary>
    /// Milliseconds to three decimals without trailing zeros (<c>0.013</c>, <c>2.4</c>), in any culture: the shortest
    /// text of the rounded value, which costs less than a custom format string on every stage of every call.
    /// </summary>
    private static string Milliseconds(TimeSpan elapsed) =>
        Math.Round(elapsed.TotalMilliseconds, 3).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
