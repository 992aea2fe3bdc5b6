namespace Portcullis.Configuration;

/// <summary>An endpoint told about approval requests and decisions (e.g. a chat integration).</summary>
public sealed record WebhookConfig
{
    /// <summary>Where events are POSTed.</summary>
    public required Uri Url { get; init; }

    /// <summary>HMAC-SHA256 signing secret.</summary>
    public string? Secret { get; init; }

    /// <summary>Name of the environment variable that holds the secret (keeps it out of the file).</summary>
    public string? SecretEnv { get; init; }

    /// <summary>The secret in force.</summary>
    public string? ResolveSecret() => SecretEnv is { } name ? Environment.GetEnvironmentVariable(name) : Secret;
}
