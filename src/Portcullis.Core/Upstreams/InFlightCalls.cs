using ModelContextProtocol.Server;
using Portcullis.Sessions;

namespace Portcullis.Upstreams;

/// <summary>
/// The agent calls in flight on one upstream connection. A server→client request (sampling, elicitation, roots) or a
/// log message arriving on a shared connection carries no link to the call that caused it, so it is routed to the
/// calls in flight: requests to the most recent one, log messages to each (never to sessions without a call there,
/// which may belong to other principals).
/// </summary>
internal sealed class InFlightCalls
{
    private readonly Lock _lock = new();
    private readonly LinkedList<InFlightCall> _calls = new();

    /// <summary>Registers a call; dispose the result when the call ends.</summary>
    public Registration Track(McpServer agent, DownstreamSession session)
    {
        lock (_lock)
        {
            return new Registration(this, _calls.AddLast(new InFlightCall(agent, session)));
        }
    }

    /// <summary>The most recent call in flight, if any.</summary>
    public InFlightCall? Latest()
    {
        lock (_lock)
        {
            return _calls.Last?.Value;
        }
    }

    /// <summary>A snapshot of the calls in flight.</summary>
    public InFlightCall[] Snapshot()
    {
        lock (_lock)
        {
            return [.. _calls];
        }
    }

    /// <summary>Ends tracking of one call.</summary>
    public readonly struct Registration(InFlightCalls owner, LinkedListNode<InFlightCall> node) : IDisposable
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
