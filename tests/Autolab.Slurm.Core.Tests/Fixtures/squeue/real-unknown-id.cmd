env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all '--Format=JobArrayID:|,JobID:|,State:|,Reason:|,RestartCnt:|,SubmitTime:|,StartTime:|,EndTime:|,TimeUsed:|,NodeList:|,Partition:|,HetJobID:|,HetJobOffset:|,ArrayJobID:|,ArrayTaskID:|,exit_code:|,Cluster:|,Name:|' --jobs 999999
# captured: 2026-12-01T04:45:00Z
# exit code: 1
# took: 18 ms
# slurm: slurm-wlm 22.05.8, nodes: 3
