using System.Management.Automation;
using System.Net;
using System.Security;
using Autolab.Slurm.Completers;
using Autolab.Slurm.Execution;
using Autolab.Slurm.Ssh;

namespace Autolab.Slurm;

/// <summary>The SSH parameters Get-SlurmJobState and Sync-RunArtifacts share (interface.md).</summary>
public abstract class SshCmdlet : AutolabCmdlet
{
    [Parameter]
    [Alias("HostName")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ComputerNameCompleter))]
    public string? ComputerName { get; set; }

    [Parameter]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? UserName { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KeyFilePath { get; set; }

    [Parameter]
    public SecureString? KeyPassphrase { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KnownHostsPath { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SshConfigPath { get; set; }

    [Parameter]
    public SwitchParameter AcceptNewHostKey { get; set; }

    /// <summary>The connection options for <paramref name="host"/> (-ComputerName wins over it), paths resolved through the provider.</summary>
    protected SshConnectionOptions SshOptions(string host, string? user = null) => new()
    {
        ComputerName = ComputerName ?? host,
        Port = MyInvocation.BoundParameters.ContainsKey(nameof(Port)) ? Port : null,
        UserName = UserName ?? user,
        KeyFilePath = KeyFilePath is null ? null : ResolvePath(KeyFilePath),
        KeyPassphrase = KeyPassphrase is null ? null : new NetworkCredential(string.Empty, KeyPassphrase).Password,
        KnownHostsPath = KnownHostsPath is null ? null : ResolvePath(KnownHostsPath),
        SshConfigPath = SshConfigPath is null ? null : ResolvePath(SshConfigPath),
        AcceptNewHostKey = AcceptNewHostKey,
        RecordNewHostKey = !WhatIfInEffect,
    };

    /// <summary>Where the scheduler commands run: here, or over the pooled SSH session to <paramref name="host"/> (-ComputerName wins over it).</summary>
    protected ICommandRunner RunnerFor(string? host) =>
        (ComputerName ?? host) is { } target ? new SshCommandRunner(SshConnectionPool.Shared.Get(SshOptions(target))) : LocalCommandRunner.Instance;

    /// <summary>
    /// -WhatIf given to this command, or in effect through $WhatIfPreference (as inside Invoke-SlurmMonitorStage -WhatIf):
    /// a new host key is then trusted for the connection only, never written to known_hosts.
    /// </summary>
    private bool WhatIfInEffect =>
        MyInvocation.BoundParameters.TryGetValue("WhatIf", out var given)
            ? given is SwitchParameter { IsPresent: true } || given is true
            : LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));
}
