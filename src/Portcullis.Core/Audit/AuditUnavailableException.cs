namespace Portcullis.Audit;

/// <summary>The audit store could not make a record durable; governed actions fail closed.</summary>
public sealed class AuditUnavailableException(string reason, Exception? inner = null)
    : Exception("The audit store is unavailable (" + reason + "); without evidence the gateway does not act.", inner);
