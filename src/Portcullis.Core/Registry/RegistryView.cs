using Portcullis.Scanning;

namespace Portcullis.Registry;

/// <summary>
/// How the registry sees one server's current catalog: its state, and which live tools are held back (new or changed
/// since approval, or blocked by critical findings), with the reasons and findings.
/// </summary>
public sealed record RegistryView(ServerState State, IReadOnlyDictionary<string, string> Quarantined, IReadOnlyList<Finding> Findings)
{
    /// <summary>True when the server is approved and the tool matches its pin.</summary>
    public bool Exposes(string toolName) => State == ServerState.Approved && !Quarantined.ContainsKey(toolName);
}
