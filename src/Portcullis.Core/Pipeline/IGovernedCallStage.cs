namespace Portcullis.Pipeline;

/// <summary>
/// One step of the governed call. A stage that refuses calls <see cref="GovernedCall.Reject"/> and returns; it does
/// not throw. The pipeline stops at the first rejection.
/// </summary>
public interface IGovernedCallStage
{
    /// <summary>Stage name, recorded with its decisions.</summary>
    string Name { get; }

    /// <summary>Runs the stage on <paramref name="call"/>.</summary>
    ValueTask InvokeAsync(GovernedCall call, CancellationToken cancellationToken);
}
