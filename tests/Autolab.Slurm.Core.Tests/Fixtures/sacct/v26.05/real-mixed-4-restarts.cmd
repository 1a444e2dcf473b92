env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations --starttime now-86400seconds --format=JobID,JobIDRaw,JobName,State,ExitCode,DerivedExitCode,Reason,Submit,Start,End,Elapsed,NodeList,Partition,Cluster,Restarts --jobs 22,23,24,25,28,29,30,31,34,35,36,37

# captured: 2026-12-04T14:48:13Z
# exit code: 0
# took: 278 ms
# slurm: slurm-wlm 26.05.5, nodes: 1
# as: alab (uid 4242) on cluster autolab2605
