using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Autolab.Slurm.Ssh;
using Renci.SshNet;
using Xunit;

namespace Autolab.Slurm.Core.Tests.Ssh;

/// <summary>KnownHosts against sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT", and SshAlgorithms.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class KnownHostsTests : IDisposable
{
    private const string KeyA = "AAAAC3NzaC1lZDI1NTE5AAAAIHnvdSmXD6d1FaJhb5GnqN+ZMNJUSPsHalGaNNbbagdG";
    private const string KeyB = "AAAAC3NzaC1lZDI1NTE5AAAAIGWBNDo6a4EiYsUtSTjPG5F0WfjhrOMNlVgvjGzgiYMI";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private KnownHosts Load(string text) => KnownHosts.Load(_dir.Write("known_hosts", text));

    private static string Hashed(string identity, byte[] salt) =>
        "|1|" + Convert.ToBase64String(salt) + "|" + Convert.ToBase64String(HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes(identity)));

    [Theory]
    [InlineData("login1", 22, "login1")]
    [InlineData("login1", 2222, "[login1]:2222")]
    [InlineData("127.0.0.1", 2222, "[127.0.0.1]:2222")]
    public void IdentityOf_HostAndPort_OpenSshName(string host, int port, string expected)
    {
        Assert.Equal(expected, KnownHosts.IdentityOf(host, port));
    }

    [Fact]
    public void Find_PlainHostPort22_Found()
    {
        var file = Load($"login1 ssh-ed25519 {KeyA}\n");

        var key = Assert.Single(file.Find("login1", 22));
        Assert.Equal(("ssh-ed25519", KeyA, false), (key.KeyType, key.KeyBase64, key.Revoked));
        Assert.Empty(file.Find("login1", 2222));
        Assert.Empty(file.Find("login2", 22));
    }

    [Fact]
    public void Find_BracketedHostPort_OnlyThatPort()
    {
        var file = Load($"[login1]:2222 ssh-ed25519 {KeyA}\n");

        Assert.Single(file.Find("login1", 2222));
        Assert.Empty(file.Find("login1", 22));
        Assert.Empty(file.Find("login1", 2223));
    }

    [Fact]
    public void Find_CommaListedNames_EachFound()
    {
        var file = Load($"login1,10.0.0.5,[login1.example.org]:2200 ssh-ed25519 {KeyA}\n");

        Assert.Single(file.Find("login1", 22));
        Assert.Single(file.Find("10.0.0.5", 22));
        Assert.Single(file.Find("login1.example.org", 2200));
        Assert.Empty(file.Find("login1.example.org", 22));
    }

    [Fact]
    public void Find_HostNameCase_Ignored()
    {
        Assert.Single(Load($"Login1.Example.ORG ssh-ed25519 {KeyA}\n").Find("login1.example.org", 22));
    }

    [Fact]
    public void Find_SeveralKeysForHost_AllReturnedInOrder()
    {
        var file = Load($"h ssh-ed25519 {KeyA}\nother ssh-ed25519 {KeyB}\nh ecdsa-sha2-nistp256 AAAAE2Vj\n");

        Assert.Equal(new[] { "ssh-ed25519", "ecdsa-sha2-nistp256" }, file.Find("h", 22).Select(k => k.KeyType));
    }

    [Fact]
    public void Find_HashedEntryComputedHere_Found()
    {
        var salt = RandomNumberGenerator.GetBytes(20);
        var file = Load($"{Hashed("[127.0.0.1]:2222", salt)} ssh-ed25519 {KeyA}\n{Hashed("login1", salt)} ssh-ed25519 {KeyB}\n");

        Assert.Equal(KeyA, Assert.Single(file.Find("127.0.0.1", 2222)).KeyBase64);
        Assert.Equal(KeyB, Assert.Single(file.Find("login1", 22)).KeyBase64);
        Assert.Empty(file.Find("127.0.0.1", 22));
        Assert.Empty(file.Find("login2", 22));
    }

    [Fact]
    public void Find_HashedBySshKeygen_SameKeysAsPlain()
    {
        var path = _dir.Write("kh", $"[login.example.org]:2200 ssh-ed25519 {KeyA}\nplainhost ssh-ed25519 {KeyB}\n");
        RunSshKeygen("-H", "-f", path);
        Assert.DoesNotContain("plainhost", File.ReadAllText(path), StringComparison.Ordinal);

        var file = KnownHosts.Load(path);

        Assert.Equal(KeyA, Assert.Single(file.Find("login.example.org", 2200)).KeyBase64);
        Assert.Equal(KeyB, Assert.Single(file.Find("plainhost", 22)).KeyBase64);
        Assert.Empty(file.Find("login.example.org", 22));
    }

    [Fact]
    public void Find_TestbedHashedFile_SameKeysAsPlainFile()
    {
        var testbed = Testbed.Current;

        var plain = KnownHosts.Load(testbed.KnownHosts).Find(testbed.Host, testbed.Port);
        var hashed = KnownHosts.Load(testbed.KnownHostsHashed).Find(testbed.Host, testbed.Port);

        Assert.Equal(3, plain.Count);
        Assert.Equal(plain.OrderBy(k => k.KeyType), hashed.OrderBy(k => k.KeyType));
    }

    [Fact]
    public void Find_MalformedHashedEntry_NoMatchNoThrow()
    {
        var file = Load($"|1|not base64!|also not ssh-ed25519 {KeyA}\n|1|onlythree ssh-ed25519 {KeyA}\n");

        Assert.Empty(file.Find("h", 22));
    }

    [Theory]
    [InlineData("*.example.org", "login.example.org", 22, true)]
    [InlineData("*.example.org", "example.org", 22, false)]
    [InlineData("login?.cluster", "login1.cluster", 22, true)]
    [InlineData("login?.cluster", "login12.cluster", 22, false)]
    [InlineData("[10.0.0.?]:2222", "10.0.0.5", 2222, true)]
    [InlineData("[10.0.0.?]:2222", "10.0.0.5", 22, false)]
    [InlineData("*.example.org,!bad.example.org", "bad.example.org", 22, false)]
    [InlineData("*.example.org,!bad.example.org", "good.example.org", 22, true)]
    [InlineData("!bad.example.org,*.example.org", "bad.example.org", 22, false)]
    [InlineData("!bad.example.org", "other", 22, false)]
    [InlineData("a.b", "axb", 22, false)]
    public void Find_WildcardAndNegatedPatterns_OpenSshMatching(string patterns, string host, int port, bool found)
    {
        var file = Load($"{patterns} ssh-ed25519 {KeyA}\n");

        Assert.Equal(found ? 1 : 0, file.Find(host, port).Count);
    }

    [Fact]
    public void Find_RevokedMarker_Flagged()
    {
        var file = Load($"@revoked h ssh-ed25519 {KeyA}\nh ssh-ed25519 {KeyB}\n");

        var keys = file.Find("h", 22);

        Assert.Equal(new[] { (KeyA, true), (KeyB, false) }, keys.Select(k => (k.KeyBase64, k.Revoked)));
    }

    [Fact]
    public void Find_CertAuthorityLine_Ignored()
    {
        var file = Load($"@cert-authority *.example.org ssh-ed25519 {KeyA}\n");

        Assert.Empty(file.Find("login.example.org", 22));
    }

    [Fact]
    public void Find_CommentsBlankAndShortLines_Skipped()
    {
        var file = Load($"# comment\n\n   \nh ssh-ed25519\nh\n  h ssh-ed25519 {KeyA} trailing comment here\n");

        Assert.Equal(KeyA, Assert.Single(file.Find("h", 22)).KeyBase64);
    }

    [Fact]
    public void Load_MissingFile_Empty()
    {
        Assert.Empty(KnownHosts.Load(_dir.Combine("nope")).Find("h", 22));
    }

    [Fact]
    public void Append_ExistingFile_LinesKeptOneLineAdded()
    {
        var path = _dir.Write("kh", $"# mine\nlogin1 ssh-ed25519 {KeyB}\n|1|abc=|def= ssh-rsa AAAA");
        var before = File.ReadAllText(path);
        var blob = Convert.FromBase64String(KeyA);

        KnownHosts.Append(path, "127.0.0.1", 2222, "ssh-ed25519", blob);

        var after = File.ReadAllText(path);
        Assert.Equal(before + "\n" + $"[127.0.0.1]:2222 ssh-ed25519 {KeyA}\n", after);
        Assert.Equal(KeyA, Assert.Single(KnownHosts.Load(path).Find("127.0.0.1", 2222)).KeyBase64);
    }

    [Fact]
    public void Append_Port22_PlainHostName()
    {
        var path = _dir.Combine("new", "sub", "known_hosts");

        KnownHosts.Append(path, "login1", 22, "ssh-ed25519", Convert.FromBase64String(KeyA));

        Assert.Equal($"login1 ssh-ed25519 {KeyA}\n", File.ReadAllText(path));
    }

    [Fact]
    public void Append_ExistingFile_ReplacedByRenameModeKeptNoTempLeft()
    {
        var path = _dir.Write("kh", $"login1 ssh-ed25519 {KeyB}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var inodeBefore = Inode(path);

        KnownHosts.Append(path, "login2", 22, "ssh-ed25519", Convert.FromBase64String(KeyA));

        Assert.NotEqual(inodeBefore, Inode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(new[] { "kh" }, Directory.EnumerateFileSystemEntries(_dir.Path).Select(Path.GetFileName));
        Assert.Equal(2, File.ReadAllLines(path).Length);
    }

    [Fact]
    public void Append_OutputReadBySshKeygen_HostFound()
    {
        var path = _dir.Combine("kh");
        KnownHosts.Append(path, "127.0.0.1", 2222, "ssh-ed25519", Convert.FromBase64String(KeyA));

        var output = RunSshKeygen("-F", "[127.0.0.1]:2222", "-f", path);

        Assert.Contains(KeyA, output, StringComparison.Ordinal);
    }

    // ---- SshAlgorithms ------------------------------------------------------------------------------

    [Theory]
    [InlineData("rsa-sha2-512", "ssh-rsa")]
    [InlineData("rsa-sha2-256", "ssh-rsa")]
    [InlineData("ssh-rsa", "ssh-rsa")]
    [InlineData("ssh-ed25519", "ssh-ed25519")]
    [InlineData("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256")]
    [InlineData("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384")]
    [InlineData("ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519")]
    public void KeyTypeOf_HostKeyAlgorithm_KnownHostsType(string algorithm, string keyType)
    {
        Assert.Equal(keyType, SshAlgorithms.KeyTypeOf(algorithm));
    }

    [Fact]
    public void KeyTypeOfBlob_TestbedHostKeys_TypeInsideBlob()
    {
        foreach (var (type, base64) in Testbed.Current.HostKeys())
        {
            Assert.Equal(type, SshAlgorithms.KeyTypeOfBlob(Convert.FromBase64String(base64)));
        }

        Assert.Null(SshAlgorithms.KeyTypeOfBlob(new byte[] { 0, 0 }));
        Assert.Null(SshAlgorithms.KeyTypeOfBlob(new byte[] { 0, 0, 0, 99, 1 }));
    }

    private static ConnectionInfo NewConnectionInfo() => new("h", 22, "u", new NoneAuthenticationMethod("u"));

    [Fact]
    public void Prefer_KnownRsaKey_OnlyRsaHostKeyAlgorithmsOffered()
    {
        var info = NewConnectionInfo();

        SshAlgorithms.Prefer(info, new[] { new KnownHostKey("ssh-rsa", "AAAA", false) });

        var offered = info.HostKeyAlgorithms.Keys.ToArray();
        Assert.Contains("rsa-sha2-512", offered);
        Assert.Contains("rsa-sha2-256", offered);
        Assert.All(offered, a => Assert.Equal("ssh-rsa", SshAlgorithms.KeyTypeOf(a)));
    }

    [Fact]
    public void Prefer_KnownEd25519AndEcdsa_ThoseTwoTypesOnly()
    {
        var info = NewConnectionInfo();

        SshAlgorithms.Prefer(info, new[] { new KnownHostKey("ssh-ed25519", "AAAA", false), new KnownHostKey("ecdsa-sha2-nistp256", "AAAA", false) });

        Assert.Equal(
            new[] { "ecdsa-sha2-nistp256", "ssh-ed25519" },
            info.HostKeyAlgorithms.Keys.Select(SshAlgorithms.KeyTypeOf).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Prefer_NoKnownKeysOrOnlyRevoked_AllHostKeyAlgorithmsKept()
    {
        var all = NewConnectionInfo().HostKeyAlgorithms.Keys.ToArray();
        var none = NewConnectionInfo();
        var revoked = NewConnectionInfo();

        SshAlgorithms.Prefer(none, Array.Empty<KnownHostKey>());
        SshAlgorithms.Prefer(revoked, new[] { new KnownHostKey("ssh-rsa", "AAAA", true) });

        Assert.Equal(all, none.HostKeyAlgorithms.Keys);
        Assert.Equal(all, revoked.HostKeyAlgorithms.Keys);
    }

    [Fact]
    public void Prefer_Any_Curve25519AndAesGcmFirst()
    {
        var info = NewConnectionInfo();

        SshAlgorithms.Prefer(info, Array.Empty<KnownHostKey>());

        Assert.StartsWith("curve25519-sha256", info.KeyExchangeAlgorithms.Keys.First(), StringComparison.Ordinal);
        Assert.Equal("aes128-gcm@openssh.com", info.Encryptions.Keys.First());
    }

    // ---- helpers ------------------------------------------------------------------------------------

    private static string RunSshKeygen(params string[] arguments)
    {
        var info = new ProcessStartInfo("ssh-keygen") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(30_000), "ssh-keygen did not finish");
        Assert.True(process.ExitCode == 0, $"ssh-keygen {string.Join(' ', arguments)} failed: {error}");
        return output;
    }

    private static string Inode(string path)
    {
        var info = new ProcessStartInfo("stat") { UseShellExecute = false, RedirectStandardOutput = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("%i");
        info.ArgumentList.Add(path);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        Assert.True(process.WaitForExit(10_000));
        return output;
    }
}
