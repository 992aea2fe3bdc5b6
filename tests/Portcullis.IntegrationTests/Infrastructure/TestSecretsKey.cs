using System.Security.Cryptography;

namespace Portcullis.IntegrationTests.Infrastructure;

/// <summary>One secret-store key for the whole test process: gateways read it from their environment, as in production.</summary>
internal static class TestSecretsKey
{
    public static void Ensure()
    {
        if (Environment.GetEnvironmentVariable("PORTCULLIS_SECRETS_KEY") is null)
        {
            Environment.SetEnvironmentVariable("PORTCULLIS_SECRETS_KEY", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        }
    }
}
