using System.Security.Cryptography;

namespace Portcullis.Audit;

/// <summary>
/// Signs checkpoints with an ECDSA P-256 key (BCL only). The key lives in a PEM file beside the store, readable only
/// by its owner; its public half is published with the checkpoints so they can be verified anywhere.
/// </summary>
public sealed class AuditSigner : IDisposable
{
    private readonly ECDsa _key;

    private AuditSigner(ECDsa key)
    {
        _key = key;
        PublicKeyPem = key.ExportSubjectPublicKeyInfoPem();
        KeyId = Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];
    }

    /// <summary>The public key, PEM.</summary>
    public string PublicKeyPem { get; }

    /// <summary>A short id of the key (first 16 hex of the SHA-256 of its public key).</summary>
    public string KeyId { get; }

    /// <summary>Loads the key at <paramref name="path"/>, creating it (mode 0600) on first use.</summary>
    public static AuditSigner LoadOrCreate(string path)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (File.Exists(path))
        {
            key.ImportFromPem(File.ReadAllText(path));
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var stream = new FileStream(path, options);
            using var writer = new StreamWriter(stream);
            writer.Write(key.ExportPkcs8PrivateKeyPem());
        }

        return new AuditSigner(key);
    }

    /// <summary>Signs a checkpoint for record <paramref name="seq"/> with hash <paramref name="hash"/>.</summary>
    public Checkpoint Sign(long seq, string hash, DateTimeOffset time) =>
        new(seq, hash, time, KeyId, Convert.ToBase64String(_key.SignData(Checkpoint.Payload(seq, hash, time), HashAlgorithmName.SHA256)));

    /// <summary>True when <paramref name="checkpoint"/> was signed by the key whose public half is <paramref name="publicKeyPem"/>.</summary>
    public static bool Verify(Checkpoint checkpoint, string publicKeyPem)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(publicKeyPem);
        try
        {
            return key.VerifyData(Checkpoint.Payload(checkpoint.Seq, checkpoint.Hash, checkpoint.Time), Convert.FromBase64String(checkpoint.Signature), HashAlgorithmName.SHA256);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}
