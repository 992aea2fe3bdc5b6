namespace Portcullis.Policy;

/// <summary>What kind of item a decision is about.</summary>
public enum PolicyTarget
{
    /// <summary>A tool.</summary>
    Tool,

    /// <summary>A prompt.</summary>
    Prompt,

    /// <summary>A resource (by URI).</summary>
    Resource,
}
