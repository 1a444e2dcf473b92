env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all --me --clusters=autolab2411 '--Format=JobArrayID:|,JobID:|,State:|,Reason:|,RestartCnt:|,SubmitTime:|,StartTime:|,EndTime:|,TimeUsed:|,NodeList:|,Partition:|,HetJobID:|,HetJobOffset:|,ArrayJobID:|,ArrayTaskID:|,exit_code:|,Cluster:|,Name:|' --jobs 32

# captured: 2026-12-04T14:48:33Z
# exit code: 0
# took: 355 ms
# slurm: slurm-wlm 24.11.5, nodes: 1
# as: alab (uid 4242) on cluster autolab2411
