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
    /// Milliseconds to three decimals without trailing zeros (<c>0.013</c>, <c>2.4</c>, <c>0</c>), in any culture,
    /// from whole microseconds: on every stage of every call, integer digits cost less than formatting a double.
    /// </summary>
    internal static string Milliseconds(TimeSpan elapsed)
    {
        var micros = (elapsed.Ticks + (TimeSpan.TicksPerMicrosecond / 2)) / TimeSpan.TicksPerMicrosecond;
        Span<char> text = stackalloc char[24];
        (micros / 1000).TryFormat(text, out var length, provider: System.Globalization.CultureInfo.InvariantCulture);
        if (micros % 1000 is var fraction and not 0)
        {
            text[length++] = '.';
            text[length++] = (char)('0' + (fraction / 100));
            text[length++] = (char)('0' + (fraction / 10 % 10));
            text[length++] = (char)('0' + (fraction % 10));
            while (text[length - 1] == '0')
            {
                length--;
            }
        }

        return new string(text[..length]);
    }
}
