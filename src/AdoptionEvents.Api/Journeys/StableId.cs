using System.Security.Cryptography;

namespace AdoptionEvents.Journeys;

/// <summary>Document ids derived from what a document is about, so a rebuild writes the same ids.</summary>
public static class StableId
{
    /// <summary>The first half of SHA-256 over the innovation id and the key, marked as a version 8 (custom) UUID.</summary>
    public static Guid For(Guid innovationId, ReadOnlySpan<byte> key)
    {
        Span<byte> bytes = stackalloc byte[16 + key.Length];
        innovationId.TryWriteBytes(bytes);
        key.CopyTo(bytes[16..]);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(bytes, hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16]);
    }
}
