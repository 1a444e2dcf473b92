env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations --starttime now-86400seconds --format=JobID,JobIDRaw,JobName,State,ExitCode,DerivedExitCode,Reason,Submit,Start,End,Elapsed,NodeList,Partition,Cluster --jobs ''

# captured: 2026-12-04T14:48:29Z
# exit code: 0
# took: 536 ms
# slurm: slurm-wlm 24.11.5, nodes: 1
# as: alab (uid 4242) on cluster autolab2411
