namespace Portcullis.Limits;

/// <summary>What a kill switch cuts off.</summary>
public enum KillTarget
{
    /// <summary>A whole server.</summary>
    Server,

    /// <summary>One tool (namespaced <c>server__tool</c>).</summary>
    Tool,

    /// <summary>A member (principal subject): all their calls and sessions.</summary>
    Member,
}
