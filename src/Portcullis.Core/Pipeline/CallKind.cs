namespace Portcullis.Pipeline;

/// <summary>The governed operations: the ones that reach a specific upstream item and so need a decision.</summary>
public enum CallKind
{
    /// <summary><c>tools/call</c>.</summary>
    ToolCall,

    /// <summary><c>resources/read</c>.</summary>
    ResourceRead,

    /// <summary><c>prompts/get</c>.</summary>
    PromptGet,
}
