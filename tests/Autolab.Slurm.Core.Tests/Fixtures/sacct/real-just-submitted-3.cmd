env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations --starttime now-86400seconds --format=JobID,JobIDRaw,JobName,State,ExitCode,DerivedExitCode,Reason,Submit,Start,End,Elapsed,NodeList,Partition,Cluster --jobs 2
# captured: 2026-12-01T04:42:32Z
# exit code: 0
# took: 99 ms
# slurm: slurm-wlm 22.05.8, nodes: 3
