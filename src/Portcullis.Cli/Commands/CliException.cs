namespace Portcullis.Cli.Commands;

/// <summary>A problem the user can fix; printed as one line, exit code 1.</summary>
internal sealed class CliException(string message) : Exception(message);
