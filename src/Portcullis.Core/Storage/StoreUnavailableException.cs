namespace Portcullis.Storage;

/// <summary>The configured store cannot be opened (unreachable, refused, misconfigured); the message says which and why.</summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
