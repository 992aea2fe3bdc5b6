namespace Portcullis.Audit;

/// <summary>A signed statement that the chain held record <see cref="Seq"/> with hash <see cref="Hash"/> at <see cref="Time"/>.</summary>
public sealed record Checkpoint(long Seq, string Hash, DateTimeOffset Time, string KeyId, string Signature)
{
    /// <summary>The bytes the signature covers.</summary>
    public static byte[] Payload(long seq, string hash, DateTimeOffset time) =>
        System.Text.Encoding.UTF8.GetBytes($"portcullis-audit-checkpoint\n{seq}\n{hash}\n{time.ToUnixTimeMilliseconds()}");
}
