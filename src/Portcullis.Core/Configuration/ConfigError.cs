namespace Portcullis.Configuration;

/// <summary>One problem in a configuration file, located by key path and line.</summary>
/// <param name="Key">Path of the offending key, e.g. <c>servers[1].transport</c>.</param>
/// <param name="Line">1-based line in the file (0 when unknown).</param>
/// <param name="Column">1-based column in the file (0 when unknown).</param>
/// <param name="Message">What is wrong and, where possible, what is accepted instead.</param>
public sealed record ConfigError(string Key, int Line, int Column, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Line > 0 ? $"line {Line}, column {Column}: {Key}: {Message}" : $"{Key}: {Message}";
}
