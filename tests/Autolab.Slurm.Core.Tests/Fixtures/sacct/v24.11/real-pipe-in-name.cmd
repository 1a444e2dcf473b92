env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations --starttime now-86400seconds --format=JobID,JobIDRaw,JobName,State,ExitCode,DerivedExitCode,Reason,Submit,Start,End,Elapsed,NodeList,Partition,Cluster --jobs 36

# captured: 2026-12-04T14:46:38Z
# exit code: 0
# took: 423 ms
# slurm: slurm-wlm 24.11.5, nodes: 1
# as: alab (uid 4242) on cluster autolab2411
