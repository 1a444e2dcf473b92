using Renci.SshNet;

namespace Autolab.Slurm.Ssh;

/// <summary>Algorithm preferences for speed and for host key checks that match known_hosts.</summary>
internal static class SshAlgorithms
{
    // curve25519 costs a fraction of the post-quantum hybrids' CPU per connection; AES-GCM runs on AES-NI.
    private static readonly string[] PreferredKeyExchange = { "curve25519-sha256", "curve25519-sha256@libssh.org" };
    // chacha20-poly1305 is slow in SSH.NET (about half of AES-GCM on this kind of machine).
    private static readonly string[] PreferredCiphers = { "aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr" };
    private static readonly string[] PreferredMacs = { "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com" };

    /// <summary>The known_hosts key type of a host key algorithm (rsa-sha2-512 signs with an ssh-rsa key).</summary>
    public static string KeyTypeOf(string algorithm) => algorithm switch
    {
        "rsa-sha2-256" or "rsa-sha2-512" => "ssh-rsa",
        _ => algorithm.Replace("-cert-v01@openssh.com", string.Empty, StringComparison.Ordinal),
    };

    /// <summary>The key type inside an SSH public key blob (its first length-prefixed string), or null when malformed.</summary>
    public static string? KeyTypeOfBlob(byte[] blob)
    {
        if (blob.Length < 4)
        {
            return null;
        }

        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(blob);
        return length > 0 && length <= blob.Length - 4 ? System.Text.Encoding.ASCII.GetString(blob, 4, length) : null;
    }

    public static void Prefer(ConnectionInfo info, IReadOnlyList<KnownHostKey> known)
    {
        MoveToFront(info.KeyExchangeAlgorithms, PreferredKeyExchange);
        MoveToFront(info.Encryptions, PreferredCiphers);
        MoveToFront(info.HmacAlgorithms, PreferredMacs);

        // Offer only the host key types known_hosts holds for this host, as OpenSSH does: otherwise the
        // server may present a key of another type and a known host would look unknown.
        var knownTypes = known.Where(k => !k.Revoked).Select(k => k.KeyType).ToHashSet(StringComparer.Ordinal);
        if (knownTypes.Count > 0)
        {
            foreach (var algorithm in info.HostKeyAlgorithms.Keys.ToArray())
            {
                if (!knownTypes.Contains(KeyTypeOf(algorithm)))
                {
                    info.HostKeyAlgorithms.Remove(algorithm, out _);
                }
            }
        }
    }

    private static void MoveToFront<T>(IOrderedDictionary<string, T> algorithms, string[] preferred)
    {
        var position = 0;
        foreach (var name in preferred)
        {
            if (algorithms.ContainsKey(name))
            {
                algorithms.SetPosition(name, position++);
            }
        }
    }
}
