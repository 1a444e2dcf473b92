env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all --me '--Format=JobArrayID:|,JobID:|,State:|,Reason:|,RestartCnt:|,SubmitTime:|,StartTime:|,EndTime:|,TimeUsed:|,NodeList:|,Partition:|,HetJobID:|,HetJobOffset:|,ArrayJobID:|,ArrayTaskID:|,exit_code:|,Cluster:|,Name:|'

# captured: 2026-12-04T14:48:57Z
# exit code: 1
# took: 20300 ms
# slurm: slurm-wlm 26.05.5, nodes: 1
# as: alab (uid 4242) on cluster autolab2605
