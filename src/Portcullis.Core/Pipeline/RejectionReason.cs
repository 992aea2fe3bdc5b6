namespace Portcullis.Pipeline;

/// <summary>Why a stage stopped a call; the front door maps each to the MCP error an agent can act on.</summary>
public enum RejectionReason
{
    /// <summary>No such tool, prompt or resource on this endpoint.</summary>
    UnknownTarget,

    /// <summary>The principal may not do this.</summary>
    Forbidden,

    /// <summary>The policy requires a human's approval first, and it has not been given (yet).</summary>
    ApprovalRequired,

    /// <summary>An approver refused the call.</summary>
    ApprovalDenied,

    /// <summary>A rate limit, budget or concurrency cap was hit; the message says when to retry.</summary>
    Limited,

    /// <summary>A kill switch is engaged for the server, tool or member.</summary>
    Killed,

    /// <summary>Inspection withheld the result.</summary>
    Blocked,

    /// <summary>The upstream server is down, crashed or closed the connection.</summary>
    Unavailable,

    /// <summary>The upstream server did not answer within its timeout.</summary>
    Timeout,

    /// <summary>The upstream server answered with a JSON-RPC error; passed on as it came.</summary>
    UpstreamError,
}
