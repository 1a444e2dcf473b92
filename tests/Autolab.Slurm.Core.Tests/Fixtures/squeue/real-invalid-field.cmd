env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all --me '--Format=JobArrayID:|,Bogus:|,State:|'
# captured: 2026-12-01T04:45:01Z
# exit code: 0
# took: 30 ms
# slurm: slurm-wlm 22.05.8, nodes: 3
