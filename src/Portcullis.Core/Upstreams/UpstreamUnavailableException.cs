namespace Portcullis.Upstreams;

/// <summary>The upstream server cannot take requests right now; the message names it and says why.</summary>
public sealed class UpstreamUnavailableException(string serverId, string reason)
    : Exception($"Server '{serverId}' is unavailable: {reason}")
{
    /// <summary>Id of the server.</summary>
    public string ServerId { get; } = serverId;

    /// <summary>Why it is unavailable.</summary>
    public string Reason { get; } = reason;
}
