namespace Portcullis.Pipeline;

/// <summary>
/// The ordered stages every governed call passes: the one place the order is written down. Today: route, then
/// upstream. Identity, registry gate, policy, limits, approval and inspection slot in between as they land.
/// </summary>
public sealed class GovernedCallPipeline(IEnumerable<IGovernedCallStage> stages)
{
    private readonly IGovernedCallStage[] _stages = [.. stages];

    /// <summary>The stages in order.</summary>
    public IReadOnlyList<IGovernedCallStage> Stages => _stages;

    /// <summary>Runs the stages until one rejects or all have run.</summary>
    public async ValueTask ExecuteAsync(GovernedCall call, CancellationToken cancellationToken)
    {
        foreach (var stage in _stages)
        {
            await stage.InvokeAsync(call, cancellationToken).ConfigureAwait(false);
            if (call.Rejection is not null)
            {
                return;
            }
        }
    }
}
