env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all --me --clusters=autolab '--Format=JobArrayID:|,JobID:|,State:|,Reason:|,RestartCnt:|,SubmitTime:|,StartTime:|,EndTime:|,TimeUsed:|,NodeList:|,Partition:|,HetJobID:|,HetJobOffset:|,ArrayJobID:|,ArrayTaskID:|,exit_code:|,Cluster:|,Name:|' --jobs 13
# captured: 2026-12-01T04:45:02Z
# exit code: 0
# took: 109 ms
# slurm: slurm-wlm 22.05.8, nodes: 3
