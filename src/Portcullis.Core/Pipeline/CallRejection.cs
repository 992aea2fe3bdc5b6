namespace Portcullis.Pipeline;

/// <summary>The decision of the stage that stopped a call: who decided, why, and what the agent is told.</summary>
/// <param name="Stage">Name of the deciding stage.</param>
/// <param name="Reason">Category of the decision.</param>
/// <param name="Message">Text for the agent: what happened and what to do next.</param>
/// <param name="ErrorCode">JSON-RPC error code, where the reason carries one (upstream errors).</param>
public sealed record CallRejection(string Stage, RejectionReason Reason, string Message, int ErrorCode = 0);
