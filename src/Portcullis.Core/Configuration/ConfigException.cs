namespace Portcullis.Configuration;

/// <summary>Thrown when a configuration file cannot be used; lists every problem found, not just the first.</summary>
public sealed class ConfigException : Exception
{
    /// <summary>Creates the exception for <paramref name="source"/>.</summary>
    public ConfigException(string source, IReadOnlyList<ConfigError> errors)
        : base(Format(source, errors))
    {
        Source = source;
        Errors = errors;
    }

    /// <summary>The problems, in file order.</summary>
    public IReadOnlyList<ConfigError> Errors { get; }

    private static string Format(string source, IReadOnlyList<ConfigError> errors) =>
        $"Invalid configuration {source}:{Environment.NewLine}" +
        string.Join(Environment.NewLine, errors.Select(e => "  " + e));
}
