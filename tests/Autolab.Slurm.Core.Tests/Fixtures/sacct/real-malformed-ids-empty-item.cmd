env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations --starttime now-86400seconds --format=JobID,JobIDRaw,JobName,State,ExitCode,DerivedExitCode,Reason,Submit,Start,End,Elapsed,NodeList,Partition,Cluster --jobs 2,,3
# captured: 2026-12-01T04:45:01Z
# exit code: 0
# took: 106 ms
# slurm: slurm-wlm 22.05.8, nodes: 3
