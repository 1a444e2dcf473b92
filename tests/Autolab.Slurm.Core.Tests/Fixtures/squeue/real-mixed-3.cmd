env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all --me '--Format=JobArrayID:|,JobID:|,State:|,Reason:|,RestartCnt:|,SubmitTime:|,StartTime:|,EndTime:|,TimeUsed:|,NodeList:|,Partition:|,HetJobID:|,HetJobOffset:|,ArrayJobID:|,ArrayTaskID:|,exit_code:|,Cluster:|,Name:|'
# captured: 2026-12-01T04:43:59Z
# exit code: 0
# took: 10 ms
# slurm: slurm-wlm 22.05.8, nodes: 3
