namespace Portcullis.Upstreams;

/// <summary>Where a connector's connection stands.</summary>
public enum UpstreamState
{
    /// <summary>Connecting or initializing.</summary>
    Connecting,

    /// <summary>Initialized and serving requests.</summary>
    Ready,

    /// <summary>Lost or failed; the supervisor is waiting to reconnect.</summary>
    Down,

    /// <summary>Stopped for good (removed by a reload or gateway shutdown).</summary>
    Stopped,
}
