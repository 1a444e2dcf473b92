env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all '--Format=JobArrayID:|,JobID:|,State:|,Reason:|,RestartCnt:|,SubmitTime:|,StartTime:|,EndTime:|,TimeUsed:|,NodeList:|,Partition:|,HetJobID:|,HetJobOffset:|,ArrayJobID:|,ArrayTaskID:|,exit_code:|,Cluster:|,Name:|' --jobs '6_[1-3]'
# captured: 2026-12-01T04:45:01Z
# exit code: 0
# took: 52 ms
# slurm: slurm-wlm 22.05.8, nodes: 3
