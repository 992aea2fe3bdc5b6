namespace Portcullis.Policy;

/// <summary>Assigns a risk class to the tools matching some patterns.</summary>
public sealed record RiskAssignment(IReadOnlyList<string> Tools, RiskClass Class);
