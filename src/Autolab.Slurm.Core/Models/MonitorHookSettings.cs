namespace Autolab.Slurm.Models;

/// <summary>What Set-SlurmMonitorHook wrote (or, under -WhatIf, would write) into autolab's policy file.</summary>
public sealed record MonitorHookSettings(string PolicyPath, string? PollCommandTemplate, string? SyncCommandTemplate, bool Changed)
{
    public override string ToString() => PolicyPath;
}
