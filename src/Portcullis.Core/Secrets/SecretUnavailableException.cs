namespace Portcullis.Secrets;

/// <summary>A referenced secret cannot be resolved; the message names it (never a value).</summary>
public sealed class SecretUnavailableException(string message) : Exception(message);
