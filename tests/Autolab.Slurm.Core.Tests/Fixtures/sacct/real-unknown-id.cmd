env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations --starttime now-86400seconds --format=JobID,JobIDRaw,JobName,State,ExitCode,DerivedExitCode,Reason,Submit,Start,End,Elapsed,NodeList,Partition,Cluster --jobs 999999
# captured: 2026-12-01T04:45:00Z
# exit code: 0
# took: 107 ms
# slurm: slurm-wlm 22.05.8, nodes: 3
