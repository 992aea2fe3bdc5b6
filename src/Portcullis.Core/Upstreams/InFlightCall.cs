using ModelContextProtocol.Server;
using Portcullis.Sessions;

namespace Portcullis.Upstreams;

/// <summary>One call in flight on an upstream connection: the request-bound server that answers the agent, and the agent's session.</summary>
public sealed record InFlightCall(McpServer Agent, DownstreamSession Session);
