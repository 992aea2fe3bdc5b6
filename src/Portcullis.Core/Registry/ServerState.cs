namespace Portcullis.Registry;

/// <summary>Where a server is in its lifecycle. Only approved servers are reachable.</summary>
public enum ServerState
{
    /// <summary>Declared or submitted, awaiting review.</summary>
    Proposed,

    /// <summary>Reviewed and pinned; reachable.</summary>
    Approved,

    /// <summary>Temporarily withdrawn.</summary>
    Suspended,

    /// <summary>Retired for good; its sessions are closed and its credentials flagged for rotation.</summary>
    Decommissioned,
}
