namespace Portcullis.Registry;

/// <summary>The approved form of one item a server offers: its canonical JSON and that text's SHA-256.</summary>
/// <param name="Kind"><c>tool</c>, <c>prompt</c>, <c>resource-template</c> or <c>instructions</c>.</param>
/// <param name="Name">The item's name (the template's URI template; empty for instructions).</param>
/// <param name="Hash">Lower-case hex SHA-256 of <paramref name="Canonical"/>.</param>
/// <param name="Canonical">Canonical JSON: keys sorted, no insignificant whitespace.</param>
public sealed record Pin(string Kind, string Name, string Hash, string Canonical)
{
    /// <summary>Kind and name, the identity of a pin within its server.</summary>
    public string Key => Kind + ":" + Name;
}
