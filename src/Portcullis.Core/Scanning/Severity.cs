namespace Portcullis.Scanning;

/// <summary>How serious a finding is. Critical findings block approval unless an approver overrides them.</summary>
public enum Severity
{
    /// <summary>Worth a note; no action.</summary>
    Low,

    /// <summary>Suspicious; review.</summary>
    Medium,

    /// <summary>Very likely hostile or unsafe.</summary>
    High,

    /// <summary>Hostile: blocks approval and exposure.</summary>
    Critical,
}
