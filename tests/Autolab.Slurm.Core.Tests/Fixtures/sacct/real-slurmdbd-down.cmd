env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations --starttime now-86400seconds --format=JobID,JobIDRaw,JobName,State,ExitCode,DerivedExitCode,Reason,Submit,Start,End,Elapsed,NodeList,Partition,Cluster --jobs 1,2,3,4,6,7,10,11,12,13,14,18,19
# captured: 2026-12-01T04:45:17Z
# exit code: 1
# took: 6 ms
# slurm: slurm-wlm 22.05.8, nodes: 3
