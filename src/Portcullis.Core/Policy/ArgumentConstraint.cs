namespace Portcullis.Policy;

/// <summary>
/// A JSON-Schema-like constraint on one argument: allowed values, a pattern, a prefix, a numeric range, a length.
/// Every stated part must hold.
/// </summary>
public sealed record ArgumentConstraint
{
    /// <summary>Allowed values (compared as JSON text for non-strings).</summary>
    public IReadOnlyList<string>? Enum { get; init; }

    /// <summary>A .NET regular expression the string value must match (anchor it yourself).</summary>
    public string? Pattern { get; init; }

    /// <summary>A prefix the string value must start with.</summary>
    public string? Prefix { get; init; }

    /// <summary>Smallest allowed number.</summary>
    public double? Min { get; init; }

    /// <summary>Largest allowed number.</summary>
    public double? Max { get; init; }

    /// <summary>Longest allowed string.</summary>
    public int? MaxLength { get; init; }

    /// <summary>Required JSON type: string, number, integer, boolean, array, object.</summary>
    public string? Type { get; init; }
}
