namespace Portcullis.Policy;

/// <summary>How much harm a tool can do; ordered from least to most.</summary>
public enum RiskClass
{
    /// <summary>Reads only.</summary>
    Read,

    /// <summary>Changes something that can be changed back.</summary>
    Write,

    /// <summary>Changes something for good (deletes, overwrites).</summary>
    Destructive,

    /// <summary>Reaches outside the organisation (sends, publishes, calls third parties).</summary>
    External,
}
