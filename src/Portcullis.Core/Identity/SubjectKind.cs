namespace Portcullis.Identity;

/// <summary>Whether a subject is a person or a workflow.</summary>
public enum SubjectKind
{
    /// <summary>A person.</summary>
    User,

    /// <summary>A service account or automated workflow.</summary>
    Service,
}
