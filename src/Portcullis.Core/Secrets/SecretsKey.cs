using Portcullis.Configuration;

namespace Portcullis.Secrets;

/// <summary>Loads the secret store's key: <c>PORTCULLIS_SECRETS_KEY</c>, else <c>secrets.keyFile</c>. A key that is missing, short or trivially weak is no key.</summary>
public static class SecretsKey
{
    /// <summary>The environment variable holding the key.</summary>
    public const string Variable = "PORTCULLIS_SECRETS_KEY";

    /// <summary>The key, or null with the reason there is none.</summary>
    public static (byte[]? Key, string? Problem) Load(GatewayConfig config)
    {
        string? text = Environment.GetEnvironmentVariable(Variable);
        var source = Variable;
        if (string.IsNullOrWhiteSpace(text) && config.Secrets.KeyFile is { } file)
        {
            var path = config.PathFromConfig(file);
            source = path;
            text = File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, $"no key: set {Variable} to 32 random bytes in base64 (e.g. `openssl rand -base64 32`) or point secrets.keyFile at a file holding them");
        }

        byte[] key;
        try
        {
            key = Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            return (null, $"the key in {source} is not base64");
        }

        if (key.Length != 32)
        {
            return (null, $"the key in {source} is {key.Length} bytes; it must be 32");
        }

        if (key.Distinct().Count() < 8)
        {
            return (null, $"the key in {source} looks like a default or placeholder; generate a random one");
        }

        return (key, null);
    }
}
