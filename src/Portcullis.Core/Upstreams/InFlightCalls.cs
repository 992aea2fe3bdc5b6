using ModelContextProtocol.Server;

namespace Portcullis.Upstreams;

/// <summary>
/// The agent sessions with a request in flight on one upstream connection. A server→client request (sampling,
/// elicitation, roots) arriving on a shared connection carries no link to the call that caused it, so it is routed
/// to the session whose call is in flight; with several, to the most recent one.
/// </summary>
internal sealed class InFlightCalls
{
    private readonly Lock _lock = new();
    private readonly LinkedList<McpServer> _calls = new();

    /// <summary>Registers a call; dispose the result when the call ends.</summary>
    public Registration Track(McpServer session)
    {
        lock (_lock)
        {
            return new Registration(this, _calls.AddLast(session));
        }
    }

    /// <summary>The session of the most recent call in flight, if any.</summary>
    public McpServer? Latest()
    {
        lock (_lock)
        {
            return _calls.Last?.Value;
        }
    }

    /// <summary>Ends tracking of one call.</summary>
    public readonly struct Registration(InFlightCalls owner, LinkedListNode<McpServer> node) : IDisposable
    {
        /// <inheritdoc />
        public void Dispose()
        {
            if (owner is null)
            {
                return;
            }

            lock (owner._lock)
            {
                if (node.List is not null)
                {
                    owner._calls.Remove(node);
                }
            }
        }
    }
}
