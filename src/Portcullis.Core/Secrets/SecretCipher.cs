using System.Security.Cryptography;
using System.Text;

namespace Portcullis.Secrets;

/// <summary>
/// How the database stores keep secrets at rest: AES-256-GCM, a fresh nonce per write, the secret's name as associated
/// data (a ciphertext moved to another name does not decrypt). Without a key nothing is read or written.
/// </summary>
public sealed class SecretCipher(byte[]? key)
{
    /// <summary>One sealed value, as stored.</summary>
    public readonly record struct Sealed(byte[] Nonce, byte[] Ciphertext, byte[] Tag);

    /// <summary>Encrypts <paramref name="value"/> for the secret <paramref name="name"/>.</summary>
    public Sealed Seal(string name, string value)
    {
        using var aes = Cipher();
        var nonce = RandomNumberGenerator.GetBytes(AesGcm.NonceByteSizes.MaxSize);
        var plain = Encoding.UTF8.GetBytes(value);
        var ciphertext = new byte[plain.Length];
        var tag = new byte[AesGcm.TagByteSizes.MaxSize];
        aes.Encrypt(nonce, plain, ciphertext, tag, Encoding.UTF8.GetBytes(name));
        return new Sealed(nonce, ciphertext, tag);
    }

    /// <summary>Decrypts what <see cref="Seal"/> stored for <paramref name="name"/>.</summary>
    public string Open(string name, Sealed sealedValue)
    {
        using var aes = Cipher();
        var plain = new byte[sealedValue.Ciphertext.Length];
        aes.Decrypt(sealedValue.Nonce, sealedValue.Ciphertext, sealedValue.Tag, plain, Encoding.UTF8.GetBytes(name));
        return Encoding.UTF8.GetString(plain);
    }

    /// <summary>Fails with the reason when there is no usable key.</summary>
    public void EnsureKey()
    {
        if (key is not { Length: 32 })
        {
            throw new SecretUnavailableException("the secret store has no key: set PORTCULLIS_SECRETS_KEY (32 random bytes, base64) or secrets.keyFile");
        }
    }

    private AesGcm Cipher()
    {
        EnsureKey();
        return new AesGcm(key!, AesGcm.TagByteSizes.MaxSize);
    }
}
