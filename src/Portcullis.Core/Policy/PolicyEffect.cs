namespace Portcullis.Policy;

/// <summary>What a rule decides. Stricter effects win: deny over approve over allow.</summary>
public enum PolicyEffect
{
    /// <summary>The call may proceed.</summary>
    Allow,

    /// <summary>The call needs a human's approval first.</summary>
    Approve,

    /// <summary>The call is refused.</summary>
    Deny,
}
