using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Portcullis.Pipeline.Stages;

/// <summary>Relays upstream progress to the agent under the agent's own progress token, in the order it arrived.</summary>
internal sealed class ProgressRelay(McpServer session, ProgressToken token) : IProgress<ProgressNotificationValue>
{
    private readonly Lock _lock = new();
    private Task _tail = Task.CompletedTask;

    public void Report(ProgressNotificationValue value)
    {
        lock (_lock)
        {
            _tail = _tail.ContinueWith(
                async _ =>
                {
                    try
                    {
                        await session.NotifyProgressAsync(token, value).ConfigureAwait(false);
                    }
                    catch (Exception)
                    {
                        // The agent disconnected; progress is advisory and its loss must not fail the call.
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.None,
                TaskScheduler.Default).Unwrap();
        }
    }
}
