env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations --starttime now-86400seconds --format=JobID,JobIDRaw,JobName,State,ExitCode,DerivedExitCode,Reason,Submit,Start,End,Elapsed,NodeList,Partition,Cluster --jobs 38

# captured: 2026-12-04T14:46:42Z
# exit code: 0
# took: 358 ms
# slurm: slurm-wlm 26.05.5, nodes: 1
# as: alab (uid 4242) on cluster autolab2605
