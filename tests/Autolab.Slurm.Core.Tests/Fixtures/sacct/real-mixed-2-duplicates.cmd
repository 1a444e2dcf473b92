env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations --duplicates --starttime now-86400seconds --format=JobID,JobIDRaw,JobName,State,ExitCode,DerivedExitCode,Reason,Submit,Start,End,Elapsed,NodeList,Partition,Cluster --jobs 1,2,3,4,6,7,10,11,12,13,14,18,19
# captured: 2026-12-01T04:43:24Z
# exit code: 0
# took: 99 ms
# slurm: slurm-wlm 22.05.8, nodes: 3
